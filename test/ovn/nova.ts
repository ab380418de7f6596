/**
 * The real Nova metadata API in the ML2/OVN harness, as tests use it (scripts/harness/ovn/ovn-nova-up.sh,
 * ovn-nova-down.sh; the part shared with the OpenStack harness in scripts/harness/nova-lib.sh and
 * scripts/harness/openstack/nova-instance.py; ovn-lib.sh's NOVA_* facts):
 *
 *   ovnNovaUp(case)   Debian's nova-api-metadata (Zed 26.2.2, uwsgi) on 127.0.0.1:8777 in place of
 *                     fake nova, for as long as this process runs (ovn-nova-up.sh --owner); `secret`
 *                     sets Nova's [neutron] metadata_proxy_shared_secret for this start (restarted
 *                     by PID only when its files change)
 *   ovnNovaDown()     ovn-nova-down.sh: the real Nova stopped by its pid record, fake nova back
 *   novaInstance()    nova-instance.py as user nova with this harness's nova.conf
 */
import {fileURLToPath} from 'node:url'

import {ETC_DIR, LOG_DIR, RUN_DIR, STATE_PATH, must} from './env.js'

const SCRIPTS = fileURLToPath(new URL('../../scripts/harness/ovn/', import.meta.url))
export const NOVA_UP = `${SCRIPTS}ovn-nova-up.sh`
export const NOVA_DOWN = `${SCRIPTS}ovn-nova-down.sh`
/**
 * OS_NOVA_CONFIG_DIR of the harness's nova-api-metadata: nova.conf, api-paste.ini, the uwsgi ini
 * (beside ETC_DIR, which is root:neutron 0750, so that user nova can read it)
 */
export const NOVA_ETC = `${ETC_DIR}-nova`
export const NOVA_CONF = `${NOVA_ETC}/nova.conf`
export const NOVA_STATE = `${STATE_PATH}/nova`
/** uwsgi's logto: oslo.log records and one uwsgi line per request */
export const NOVA_LOG = `${LOG_DIR}/nova-api-metadata.log`
/** present while the real Nova is chosen (ovn-lib.sh NOVA_REAL) */
export const NOVA_REAL = `${RUN_DIR}/nova-real`
export const NOVA_PID_FILE = `${RUN_DIR}/nova-api-metadata.pid`
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** ovn-nova-up.sh with this case (this process its owner); answers how long it took */
export async function ovnNovaUp(c: {secret?: string} = {}): Promise<number> {
  const t0 = Date.now()
  await must(NOVA_UP, ['--owner', String(process.pid)], {env: {QM_NOVA_PROXY_HEADERS: '', QM_NOVA_SECRET: c.secret ?? '', QM_NOVA_SMP: ''}, timeoutMs: 300_000})
  return Date.now() - t0
}

/** ovn-nova-down.sh: nova-api-metadata stopped, fake nova back (ovn-up.sh) */
export async function ovnNovaDown(): Promise<void> {
  await must(NOVA_DOWN, [], {timeoutMs: 300_000})
}

export interface NovaInstance {
  uuid: string
  mapping: {project_id: string; cell: string | null} | null
  instance: {project_id: string; hostname: string; ports: {id: string; ips: string[]}[]} | null
}

/** nova-instance.py (Nova's own objects) as user nova with the harness's nova.conf; answers its report */
export async function novaInstance(cmd: 'ensure' | 'delete' | 'show', uuid: string, opts: {project?: string; name?: string} = {}): Promise<NovaInstance> {
  const extra = cmd === 'ensure' ? ['--project', opts.project ?? '', '--name', opts.name ?? 'qm-vm', '--host', 'qm-ovn-host'] : []
  const out = await must(
    'env',
    ['-i', '-C', NOVA_STATE, `PATH=${SAFE_PATH}`, `HOME=${NOVA_STATE}`, 'LANG=C.UTF-8', 'setpriv', '--reuid=nova', '--regid=nova', '--init-groups'].concat([
      '/usr/bin/python3',
      `${NOVA_ETC}/nova-instance.py`,
      '--config-file',
      NOVA_CONF,
      cmd,
      uuid,
      ...extra,
    ]),
    {timeoutMs: 120_000},
  )
  const line = out
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"uuid"'))
  if (!line) throw new Error(`nova-instance.py ${cmd} ${uuid}: no report in ${out.slice(-2000)}`)
  return JSON.parse(line)
}
