/** IPv4 arithmetic every chain's checks use, and the address the metadata chain is about. */

export const METADATA_IP = '169.254.169.254'

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
}

export function sameSubnet(a: string, b: string, prefixlen: number): boolean {
  if (prefixlen === 0) return true
  const mask = prefixlen >= 32 ? 0xffffffff : (0xffffffff << (32 - prefixlen)) >>> 0
  return (ipv4ToInt(a) & mask) >>> 0 === (ipv4ToInt(b) & mask) >>> 0
}

export const isLinkLocal4 = (ip: string) => sameSubnet(ip, '169.254.0.0', 16)
