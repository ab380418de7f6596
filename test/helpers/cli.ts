import {spawn, spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = `${ROOT}bin/run.js`

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON, when it is JSON */
  json?: any
}

/** The single executable the build makes (scripts/sea.mjs): the CLI in a copy of this node. */
export const SEA = `${ROOT}dist/quantum-meta`

type CliOptions = {env?: NodeJS.ProcessEnv; input?: string; cwd?: string; uid?: number; gid?: number}

/** Run the built binary (npm run build first) the way an operator or a CI job would. */
export function cli(args: string[], opts: CliOptions = {}): CliResult {
  return runArgv([process.execPath, BIN, ...args], opts)
}

/** Run the single executable (or another copy of it, `opts.bin`) as cli() runs bin/run.js. */
export function seaCli(args: string[], opts: CliOptions & {bin?: string} = {}): CliResult {
  return runArgv([opts.bin ?? SEA, ...args], opts)
}

function runArgv([cmd, ...argv]: string[], opts: CliOptions): CliResult {
  const r = spawnSync(cmd, argv, {
    cwd: opts.cwd,
    gid: opts.gid,
    uid: opts.uid,
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1', ...opts.env},
    input: opts.input,
    timeout: 60_000,
  })
  let json
  try {
    json = JSON.parse(r.stdout)
  } catch {}
  return {json, status: r.status, stderr: r.stderr, stdout: r.stdout}
}

/** Like cli(), without blocking the event loop (for tests that serve HTTP from this process). */
export function cliAsync(args: string[], opts: {env?: NodeJS.ProcessEnv} = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1', ...opts.env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (status) => {
      let json
      try {
        json = JSON.parse(stdout)
      } catch {}
      resolve({json, status, stderr, stdout})
    })
  })
}
