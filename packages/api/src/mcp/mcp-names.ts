/** The name agent CLIs know our MCP server by: claude calls its tools `mcp__switchboard__remember`. */
export const MCP_SERVER_NAME = 'switchboard';

/** The path of the MCP endpoint on the API server. */
export const MCP_PATH = '/mcp';
