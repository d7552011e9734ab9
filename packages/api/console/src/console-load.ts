/**
 * Data for a page: `useLoad` runs a read through the client whenever its keys change (and on
 * `reload`), ignoring answers that arrive after the page moved on; `useAction` runs a change,
 * keeps the button busy meanwhile, and reports failure in words.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '@switchboard/shared';
import { useConsole } from './console-context';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload(): void;
}

export function useLoad<T>(load: (client: ApiClient) => Promise<T>, keys: unknown[]): Loaded<T> {
  const { client, describeError } = useConsole();
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    Promise.resolve().then(() => load(client)).then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error: describeError(error), loading: false }),
    );
    return () => {
      current = false;
    };
    // The keys name what is loaded; `load` is a new closure on every render.
  }, [client, version, ...keys]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Action {
  busy: boolean;
  error: string | undefined;
  run(change: (client: ApiClient) => Promise<unknown>, after?: () => void): void;
}

export function useAction(): Action {
  const { client, describeError } = useConsole();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = (change: (client: ApiClient) => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    setError(undefined);
    change(client).then(
      () => {
        setBusy(false);
        after?.();
      },
      (failure: unknown) => {
        setBusy(false);
        setError(describeError(failure));
      },
    );
  };
  return { busy, error, run };
}
