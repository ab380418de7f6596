/** The network in OVN: its metadata port, the option 121 route OVN's DHCP hands out, a VM bound here. */
import {effective, IniSyntaxError, osloBool, parseIni} from '../../config/oslo-ini.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {clip, shq} from '../common/text.js'
import {METADATA_IP, sameSubnet} from '../common/net.js'
import {type Check, cmd, conf, fail, notHere, pass, skip} from '../types.js'
import {isRecord} from '../../parse/ip-util.js'
import {type DhcpOptionsRow, localChassis, metadataPorts, nbFacts, ovsFacts, portCidrs, portMac, restartOvnAgent, sbFacts} from './facts.js'
import {memo, parsedBody} from '../../evidence/api-records.js'

/** `ovn_metadata_enabled` of the server's ml2_conf.ini, when this node has that file. */
function metadataEnabled(ev: NetworkEvidence): {value: boolean; where: string} | undefined {
  const f = ev.ovn?.serverConfig
  if (f?.state !== 'present' || f.content === undefined) return undefined
  try {
    const a = effective(parseIni(f.content), 'ovn', 'ovn_metadata_enabled')
    // the option's default is False
    return a ? {value: osloBool(a.value) ?? false, where: `${f.path}:${a.line + 1}`} : {value: false, where: `${f.path} (unset; the default is False)`}
  } catch (error) {
    if (error instanceof IniSyntaxError) return undefined
    throw error
  }
}

const REPAIR =
  'neutron-ovn-db-sync-util --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini --ovn-neutron_sync_mode repair'

/** The repair as a fix step: cloud-wide, so an alternative, never the first thing to run. */
const repair = (why: string) => ({command: REPAIR, why: `on a neutron-server node: ${why} (cloud-wide: it re-syncs every network's OVN rows from Neutron)`})

export const ovnMetadataPort: Check = {
  id: 'ovn.metadata-port',
  needs: ['ovn.chassis'],
  title: 'the network has exactly one metadata port (localport, network:distributed) with an IPv4 address',
  run(ev) {
    const sb = sbFacts(ev.ovn!)
    if (!sb.ok) return skip(`the SB is not readable: ${sb.why}`)
    const ports = sb.value.ports
    if (ports.length === 0) {
      return fail(
        `the southbound DB has no port of network ${ev.network} (external_ids neutron:network_name = neutron-${ev.network}): it is not an OVN network of this SB, or the server never synced it`,
        [ev.ovn!.sb.argv.join(' ')],
        cmd(
          `openstack network show ${shq(ev.network)}`,
          "is the network id right? if the network exists, this chassis must use the cloud's SB (ovs-vsctl get Open_vSwitch . external_ids:ovn-remote)",
          repair('only when the network exists and the SB really lacks it (the server never synced it)'),
        ),
      )
    }
    const md = metadataPorts(sb.value)
    const shown = (p: (typeof md)[number]) =>
      `Port_Binding ${p.logicalPort}: type=${p.type} mac=${JSON.stringify(p.mac.join(' '))} neutron:cidrs=${JSON.stringify(p.externalIds['neutron:cidrs'] ?? '')}`
    if (md.length === 0) {
      const enabled = metadataEnabled(ev)
      const why = enabled?.value === false ? ` (${enabled.where}: ovn_metadata_enabled is False, so the server makes none)` : ''
      return fail(
        `network ${ev.network} has no metadata port${why}: no haproxy anywhere serves it, and a subnet without a gateway gets no DHCP options at all (its VMs get no lease)`,
        [
          `${ports.length} Port_Binding rows of the network, none of type localport owned by network:distributed`,
          ...(enabled ? [`ovn_metadata_enabled: ${enabled.value} (${enabled.where})`] : []),
        ],
        enabled?.value === true
          ? cmd(
              `openstack port list --network ${shq(ev.network)} --device-owner network:distributed`,
              "Neutron's view: the metadata port is missing there too when ovn_metadata_enabled was off as the network was created",
              repair(`it creates the port and the DHCP options; then ${restartOvnAgent(ev)} on this chassis`),
            )
          : conf(
              '/etc/neutron/plugins/ml2/ml2_conf.ini',
              'ovn',
              'ovn_metadata_enabled = True',
              `on the neutron-server nodes (their ml2_conf.ini), then restart neutron-server; the network still needs its port: ${REPAIR}; then ${restartOvnAgent(ev)} on this chassis`,
            ),
      )
    }
    if (md.length > 1) {
      return fail(
        `network ${ev.network} has ${md.length} metadata ports: the agent serves one, and DHCP may route instances to the other`,
        md.map(shown),
        cmd(
          `openstack port list --network ${shq(ev.network)} --device-owner network:distributed`,
          `delete the one whose MAC is not on the device in ovnmeta-${ev.network} (openstack port delete PORT)`,
        ),
      )
    }
    const port = md[0]
    const v4 = portCidrs(port).filter((c) => !c.v6)
    if (v4.length === 0) {
      return fail(
        `the metadata port ${port.logicalPort} has no IPv4 address: the agent cannot build ovnmeta-${ev.network}, and option 121 has no next hop`,
        [shown(port)],
        cmd(
          `openstack port set --fixed-ip subnet="$(openstack subnet list --network ${shq(ev.network)} --ip-version 4 --dhcp -f value -c ID | head -n 1)" ${shq(port.logicalPort)}`,
          'an address in a DHCP-enabled IPv4 subnet (repeat for each such subnet)',
          repair('or it gives the port its addresses'),
        ),
      )
    }
    // every DHCP-enabled IPv4 subnet (NB DHCP_Options when readable) needs an address of the port
    const nb = nbFacts(ev.ovn!)
    if (nb.ok) {
      const subnets = networkDhcpOptions(ev, nb.value).filter((o) => !o.cidr.includes(':'))
      const missing = subnets.filter((o) => !v4.some((c) => inCidr(c.ip, o.cidr)))
      if (missing.length > 0) {
        return fail(
          `the metadata port ${port.logicalPort} has no address in ${missing.map((o) => `${o.cidr} (subnet ${o.externalIds.subnet_id ?? '?'})`).join(', ')}: instances there get no route to ${METADATA_IP}`,
          [shown(port), ...missing.map((o) => `NB DHCP_Options ${o.uuid}: cidr ${o.cidr}`)],
          missing.every((o) => o.externalIds.subnet_id)
            ? cmd(
                `openstack port set ${missing.map((o) => `--fixed-ip subnet=${shq(o.externalIds.subnet_id!)}`).join(' ')} ${shq(port.logicalPort)}`,
                'an address of the port in each of those subnets',
                repair('or it gives the port its addresses'),
              )
            : cmd(`openstack port show ${shq(port.logicalPort)}`, "the port's addresses in Neutron", repair('it gives the port its addresses')),
        )
      }
    }
    return pass(`metadata port ${port.logicalPort}: ${v4.map((c) => c.ip).join(', ')} (${portMac(port) ?? 'no MAC'})`, [shown(port)])
  },
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/')
  return Boolean(net) && Number.isInteger(Number(len)) && sameSubnet(ip, net, Number(len))
}

/**
 * The DHCP_Options rows of this network. DHCP_Options name a subnet, not a network: the rows its
 * Logical_Switch_Ports point at (VM ports); else those of the subnets the API listed; else those whose
 * cidr holds a metadata port address, and where two networks share a cidr, the row that routes via
 * this network's metadata port (when one does).
 */
export function networkDhcpOptions(ev: NetworkEvidence, nb: {ports: {dhcpv4Options: string[]}[]; dhcpOptions: DhcpOptionsRow[]}): DhcpOptionsRow[] {
  const referenced = new Set(nb.ports.flatMap((p) => p.dhcpv4Options))
  const byRef = nb.dhcpOptions.filter((o) => referenced.has(o.uuid))
  if (byRef.length > 0) return byRef
  const subnets = apiSubnetIds(ev)
  if (subnets) return nb.dhcpOptions.filter((o) => subnets.has(o.externalIds.subnet_id ?? ''))
  const sb = sbFacts(ev.ovn!)
  const ips = sb.ok
    ? metadataPorts(sb.value).flatMap((p) =>
        portCidrs(p)
          .filter((c) => !c.v6)
          .map((c) => c.ip),
      )
    : []
  const byCidr = new Map<string, DhcpOptionsRow[]>()
  for (const o of nb.dhcpOptions) if (ips.some((ip) => inCidr(ip, o.cidr))) byCidr.set(o.cidr, [...(byCidr.get(o.cidr) ?? []), o])
  return [...byCidr.values()].flatMap((rows) => {
    const ours = rows.filter((o) => routesViaMetadataPort(o, ips))
    return ours.length > 0 ? ours : rows.slice(0, 1)
  })
}

const routesViaMetadataPort = (o: DhcpOptionsRow, ips: string[]) =>
  classlessRoutes(o.options.classless_static_route).some(([dest, hop]) => dest === `${METADATA_IP}/32` && ips.includes(hop))

/** The ids of the network's subnets, when the API was asked (GET /subnets?network_id=). */
function apiSubnetIds(ev: NetworkEvidence): Set<string> | undefined {
  const rec = ev.api?.records.find((r) => r.path.startsWith('/subnets?network_id=') && r.status === 200)
  if (!rec) return undefined
  try {
    const doc: unknown = parsedBody(rec)
    if (!isRecord(doc) || !Array.isArray(doc.subnets)) return undefined
    return new Set(doc.subnets.flatMap((x) => (isRecord(x) && typeof x.id === 'string' ? [x.id] : [])))
  } catch {
    return undefined
  }
}

/** `{169.254.169.254/32,198.51.100.1, 0.0.0.0/0,198.51.100.254}` -> [[dest, hop], ...] */
export function classlessRoutes(value: string | undefined): [string, string][] {
  if (!value) return []
  const parts = value
    .replace(/^\{|\}$/g, '')
    .split(',')
    .map((p) => p.trim())
  const out: [string, string][] = []
  for (let i = 0; i + 1 < parts.length; i += 2) out.push([parts[i], parts[i + 1]])
  return out
}

/** The network:distributed port of the network as the API listed it (GET /ports?network_id=). */
function apiMetadataPort(ev: NetworkEvidence): {id: string; ips: string[]} | undefined {
  const rec = ev.api?.records.find((r) => r.path.startsWith('/ports?network_id=') && r.status === 200)
  if (!rec) return undefined
  // once per answer: every chassis of a big network is handed the same ports list (--hosts-from-api)
  return memo(rec, apiMetadataPort, () => {
    const doc: unknown = parsedBody(rec)
    const ports = isRecord(doc) && Array.isArray(doc.ports) ? doc.ports : []
    const md = ports.find((p) => isRecord(p) && p.device_owner === 'network:distributed')
    if (!isRecord(md)) return undefined
    const ips = Array.isArray(md.fixed_ips) ? md.fixed_ips.flatMap((f) => (isRecord(f) && typeof f.ip_address === 'string' ? [f.ip_address] : [])) : []
    return {id: String(md.id), ips}
  })
}

export const ovnDhcpRoute: Check = {
  id: 'ovn.dhcp-route',
  needs: ['ovn.metadata-port'],
  title: `OVN's DHCP (NB DHCP_Options) hands out option 121: ${METADATA_IP}/32 via the metadata port, in each IPv4 subnet`,
  run(ev) {
    const sb = sbFacts(ev.ovn!)
    if (!sb.ok) return skip('the SB is not readable (see ovn.chassis)')
    const port = metadataPorts(sb.value)[0]
    const ips = portCidrs(port)
      .filter((c) => !c.v6)
      .map((c) => c.ip)
    const nb = nbFacts(ev.ovn!)
    if (!nb.ok) {
      const api = apiMetadataPort(ev)
      if (api) {
        return pass(
          `the northbound DB is not readable here (${nb.why}); the API lists metadata port ${api.id} (${api.ips.join(', ')}), from which Neutron writes the route`,
          [`GET /ports?network_id=${ev.network}: network:distributed port ${api.id}`],
        )
      }
      return skip(
        `not checked: the northbound DB is not readable from this node (${nb.why}) and no API answer was collected (give --os-* credentials, or run it where ml2_conf.ini names ovn_nb_connection)`,
      )
    }
    const rows = networkDhcpOptions(ev, nb.value).filter((o) => !o.cidr.includes(':'))
    if (rows.length === 0) {
      return fail(
        `no NB DHCP_Options row serves network ${ev.network}'s IPv4 subnets: OVN's DHCP does not answer its VMs`,
        [`NB DHCP_Options: ${nb.value.dhcpOptions.length} rows, none for ${ips.join(', ')}`],
        cmd(
          `openstack subnet list --network ${shq(ev.network)} --ip-version 4`,
          'the subnets Neutron has for the network: the NB should have a DHCP_Options row for each',
          repair('it writes the missing rows'),
        ),
      )
    }
    const evidence = rows.map(
      (o) => `NB DHCP_Options ${o.uuid} cidr ${o.cidr}: classless_static_route=${clip(o.options.classless_static_route ?? '(none)', 160)}`,
    )
    const bad = rows.filter((o) => !routesViaMetadataPort(o, ips))
    if (bad.length > 0) {
      return fail(
        `option 121 of ${bad.map((o) => o.cidr).join(', ')} has no ${METADATA_IP}/32 via the metadata port (${ips.join(', ')}): instances there send metadata requests to their default gateway, or nowhere`,
        evidence,
        cmd(REPAIR, "on a neutron-server node: it rewrites the network's DHCP options from Neutron (cloud-wide: every network's OVN rows)"),
      )
    }
    return pass(`option 121 routes ${METADATA_IP}/32 via ${ips.join(', ')} in ${rows.map((o) => o.cidr).join(', ')}`, evidence)
  },
}

export const ovnLocalVif: Check = {
  id: 'ovn.local-vif',
  needs: ['ovn.metadata-port'],
  title: 'a VM port of this network is bound to this chassis (else the agent rightly has no namespace here)',
  run(ev) {
    const ovn = ev.ovn!
    const o = ovsFacts(ovn)
    const sb = sbFacts(ovn)
    if (!o.ok || !sb.ok) return skip('the OVSDB rows are not readable (see ovn.chassis)')
    const ch = localChassis(o.value, sb.value)
    const here = sb.value.ports.filter((p) => p.type === '' && ch !== undefined && p.chassis === ch.uuid)
    if (here.length === 0) {
      const stale = ev.namespaces.exitCode === 0 && ev.namespaces.stdout.split('\n').some((l) => l.split(/\s/)[0] === ev.namespace)
      return notHere(
        `no VM port of network ${ev.network} is bound to chassis ${o.value.systemId}: no namespace is needed here${stale ? ` (${ev.namespace} still exists: the agent removes it at its next sync)` : ''}; run this on the compute node that hosts the VM`,
        [`${sb.value.ports.length} Port_Binding rows of the network; bound to ${o.value.systemId}: none`],
      )
    }
    return pass(
      `${here.length} VM port${here.length === 1 ? '' : 's'} bound here: ${here.map((p) => p.logicalPort).join(', ')}`,
      here.map((p) => `Port_Binding ${p.logicalPort}: chassis ${ch!.name}, mac ${JSON.stringify(p.mac.join(' '))}`),
    )
  },
}
