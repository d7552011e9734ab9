/** The open routes: the health check and the API document. */
import { z } from 'zod';

/** `GET /healthz`: the process answers. */
export const Health = z.object({ ok: z.literal(true) });
export type Health = z.infer<typeof Health>;

/** `GET /openapi.json`: an OpenAPI 3.1 document (its shape is OpenAPI's, checked by its own schema). */
export const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;
