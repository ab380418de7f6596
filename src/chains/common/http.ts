/** What an HTTP answer of the metadata chain says, whichever chain served it. */

/**
 * haproxy's own 503, when no server of the backend can be connected to (the agent's socket):
 * haproxy/haproxy src/http.c, http_err_msgs[HTTP_ERR_503].
 */
export const HAPROXY_NO_SERVER = 'No server is available to handle this request.'
/**
 * The metadata agent's own 503, when requests.ConnectionError reaching Nova (openstack/neutron
 * neutron/agent/metadata/agent.py 24.0.1 (2024.1) and 25.0.0 (2024.2); proxy_base.py 25.0.0–26;
 * neutron/common/metadata.py 27.0.0 on). Before that the same failure was a 500.
 */
export const AGENT_NOVA_UNREACHABLE = 'The remote metadata server is temporarily unavailable.'

/** A body as one line of plain text: tags and control characters (ANSI escapes included) gone, whitespace collapsed. */
export function bodyText(body: string): string {
  // at most what collect keeps (500 characters) and some: a hand-made snapshot may hold more, and `<[^>]*>` rescans a run of `<`
  return body
    .slice(0, 2000)
    .replace(/<[^>]*>/g, ' ')
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, ' ')
    .replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .trim()
}
