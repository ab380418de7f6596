/** The one spelling of a UUID (network, subnet, port ids: Grizzly's too). A chain's namespace names are in its folder. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
