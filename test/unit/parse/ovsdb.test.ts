import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {mapOf, numOf, OvsdbFormatError, parseOvsdbOutput, setOf, strOf} from '../../../src/parse/ovsdb.js'

// verbatim `--format=json` outputs of the repository's ML2/OVN harness (test/fixtures/ovn/SOURCES.md)
const fx = (p: string) => readFileSync(new URL(`../../fixtures/ovn/${p}`, import.meta.url), 'utf8')
// the ids of that capture, as its SOURCES.md records them
const source = fx('SOURCES.md')
const MD_PORT = /Its metadata port `([0-9a-f-]{36})`/.exec(source)![1]
const VM_PORT = /VM `qmovn-vm1`: port `([0-9a-f-]{36})`/.exec(source)![1]

describe('parseOvsdbOutput on real ctl output', () => {
  it('the Open_vSwitch row: maps, sets, numbers, uuids', () => {
    const [t] = parseOvsdbOutput(fx('ovs-open_vswitch.json'))
    expect(t.rows).toHaveLength(1)
    const row = t.rows[0]
    expect(mapOf(row.external_ids)).toMatchObject({'ovn-bridge': 'br-int', 'ovn-remote': 'tcp:127.0.0.1:6652', 'system-id': 'qm-ovn-chassis'})
    expect(setOf(row.datapath_types)).toEqual(['netdev', 'system'])
    expect(numOf(row.cur_cfg)).toBeGreaterThan(0)
    expect(strOf(row._uuid)).toMatch(/^[0-9a-f-]{36}$/)
    // a uuid-valued map
    expect(Object.keys(mapOf(row.datapaths))).toEqual(['netdev'])
    expect(mapOf(row.datapaths).netdev).toMatch(/^[0-9a-f-]{36}$/)
    // an empty optional column
    expect(strOf(row.db_version)).toBeUndefined()
  })

  it('several commands in one call print one table per line, in order', () => {
    const tables = parseOvsdbOutput(fx('sb-chassis+chassis_private+sb_global.json'))
    expect(tables).toHaveLength(3)
    expect(tables.map((t) => t.headings.includes('name'))).toEqual([true, true, false])
    const priv = tables[1].rows[0]
    expect(strOf(priv.name)).toBe('qm-ovn-chassis')
    expect(mapOf(priv.external_ids)['neutron:ovn-metadata-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(numOf(tables[2].rows[0].nb_cfg)).toBeGreaterThan(0)
  })

  it('Port_Binding: the metadata port is a localport without chassis, the VM port is bound', () => {
    const [t] = parseOvsdbOutput(fx('sb-port_binding.json'))
    const md = t.rows.find((r) => strOf(r.type) === 'localport')!
    expect(strOf(md.logical_port)).toBe(MD_PORT)
    expect(setOf(md.chassis)).toEqual([])
    expect(mapOf(md.external_ids)['neutron:cidrs']).toBe('198.51.100.1/24')
    expect(setOf(md.mac)).toEqual([expect.stringMatching(/^fa:16:3e(:[0-9a-f]{2}){3} 198\.51\.100\.1$/)])
    const vm = t.rows.find((r) => strOf(r.logical_port) === VM_PORT)!
    expect(strOf(vm.chassis)).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('NB DHCP_Options: option 121 as OVN stores it', () => {
    const [t] = parseOvsdbOutput(fx('nb-dhcp_options.json'))
    expect(mapOf(t.rows[0].options).classless_static_route).toBe('{169.254.169.254/32,198.51.100.1}')
    expect(strOf(t.rows[0].cidr)).toBe('198.51.100.0/24')
  })

  it('anything else is an OvsdbFormatError, never another throw; a map key named __proto__ stays data', () => {
    for (const bad of [
      'nope',
      '{"data":[[1,2]],"headings":["a"]}',
      '{"data":[[["set",5]]],"headings":["a"]}',
      '{"data":[[["map",[[1]]]]],"headings":["a"]}',
      '[]',
      '{"headings":["a"]}',
      '{"data":[[{"x":1}]],"headings":["a"]}',
    ]) {
      expect(() => parseOvsdbOutput(bad), bad).toThrow(OvsdbFormatError)
    }
    const [t] = parseOvsdbOutput('{"data":[[["map",[["__proto__","x"],["constructor","y"]]]]],"headings":["external_ids"]}')
    const m = mapOf(t.rows[0].external_ids)
    expect(m.__proto__).toBe('x')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
    expect(parseOvsdbOutput('')).toEqual([])
  })
})
