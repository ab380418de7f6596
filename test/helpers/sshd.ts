/**
 * An OpenSSH sshd of the test's own, on 127.0.0.1, in the mount namespace the test runs in: the
 * "host" a real harness (OpenStack's DHCP agent, the OVN chassis) is, reachable the way an operator
 * reaches a network node. Key-only root login with a key made here, its own host key, no forwarding,
 * no TTY; the client side is an ssh config naming each alias (the API's host names: the mapping the
 * README documents) with the host key pinned in a known_hosts of its own, BatchMode.
 *
 * sshd needs its privilege-separation directory /run/sshd: made only when missing, and removed at
 * stop() only if made here and still empty. sshd is our child, stopped by its PID.
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {portFree} from './proc.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** The sshd_config of a test host: key-only, loopback, nothing forwarded. */
export function sshdConfig(opts: {port: number; hostKey: string; authorizedKeys: string; pidFile?: string}): string {
  return [
    '# written by a quantum-meta test (test/helpers/sshd.ts)',
    `ListenAddress 127.0.0.1:${opts.port}`,
    `HostKey ${opts.hostKey}`,
    `PidFile ${opts.pidFile ?? 'none'}`,
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `AuthorizedKeysFile ${opts.authorizedKeys}`,
    // the files live under a temp dir whose parents sshd's StrictModes would refuse
    'StrictModes no',
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'AllowStreamLocalForwarding no',
    'X11Forwarding no',
    'PermitTunnel no',
    'PermitTTY no',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'LogLevel ERROR',
    '',
  ].join('\n')
}

/** An ssh client config block: `alias` is 127.0.0.1:port, its key pinned under `keyAlias`. */
export function clientBlock(o: {alias: string; port: number; identity: string; knownHosts: string; user?: string; keyAlias?: string}): string[] {
  return [
    `Host ${o.alias}`,
    '  HostName 127.0.0.1',
    `  Port ${o.port}`,
    `  User ${o.user ?? 'root'}`,
    `  IdentityFile ${o.identity}`,
    '  IdentitiesOnly yes',
    `  HostKeyAlias ${o.keyAlias ?? o.alias}`,
    `  UserKnownHostsFile ${o.knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  LogLevel ERROR',
    '',
  ]
}

export interface RootSshd {
  /** the client's ssh config (-F): one Host block per alias */
  sshConfig: string
  /** `<node> <repo>/bin/run.js`: quantum-meta "installed" on this host */
  remoteCommand: string
  port: number
  stop(): Promise<void>
}

/** Start sshd on 127.0.0.1:port here; `aliases` are the host names the client config maps to it. */
export async function rootSshd(aliases: string[], port: number): Promise<RootSshd> {
  if (!existsSync('/usr/sbin/sshd')) throw new Error('sshd missing: run scripts/install-test-deps.sh (openssh-server)')
  if (!(await portFree(port))) throw new Error(`127.0.0.1:${port} is taken`)
  mkdirSync('/var/tmp', {recursive: true})
  const dir = mkdtempSync('/var/tmp/qm-sshd-')
  const keygen = (f: string) => {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'qm-test', '-f', f], {encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`)
  }
  const hostKey = join(dir, 'host_ed25519')
  const client = join(dir, 'client_ed25519')
  keygen(hostKey)
  keygen(client)
  const knownHosts = join(dir, 'known_hosts')
  const pub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
  writeFileSync(knownHosts, aliases.map((a) => `${a} ${pub}`).join('\n') + '\n')
  const sshConfig = join(dir, 'ssh_config')
  writeFileSync(sshConfig, aliases.flatMap((alias) => clientBlock({alias, identity: client, knownHosts, port})).join('\n'))
  writeFileSync(join(dir, 'sshd_config'), sshdConfig({authorizedKeys: `${client}.pub`, hostKey, port}))

  const madeRunSshd = !existsSync('/run/sshd')
  if (madeRunSshd) mkdirSync('/run/sshd', {mode: 0o755})
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  sshd.stderr?.on('data', (b) => (log += b))
  const exited = new Promise<void>((r) => sshd.once('exit', () => r()))
  const stop = async () => {
    if (sshd.exitCode === null && sshd.signalCode === null) {
      sshd.kill('SIGTERM')
      await exited
    }
    if (madeRunSshd && existsSync('/run/sshd') && readdirSync('/run/sshd').length === 0) rmdirSync('/run/sshd')
    rmSync(dir, {force: true, recursive: true})
  }
  for (let i = 0; i < 100 && (await portFree(port)); i++) {
    if (sshd.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  if (await portFree(port)) {
    await stop()
    throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${log}`)
  }
  return {port, remoteCommand: `${process.execPath} ${join(REPO, 'bin', 'run.js')}`, sshConfig, stop}
}
