/** The --probe GET: one request to the metadata address from inside a namespace (never from the root one). */
import type {ProbeRecord} from '../evidence/evidence.js'
import {run} from '../system/exec.js'

/**
 * One GET of http://169.254.169.254/ from inside the namespace, by this same Node binary; with `v6Device`,
 * of http://[fe80::a9fe:a9fe%DEV]/ instead (a link-local address needs its device). The device name goes
 * to the child as an argument, never into the script's text.
 */
export async function probeFromNamespace(ns: string, v6Device?: string): Promise<ProbeRecord> {
  const script = `const d=process.argv[1];const h=d?'fe80::a9fe:a9fe%'+d:'169.254.169.254';const t=Date.now();const r=require('http').get({host:h,family:d?6:4,port:80,path:'/',timeout:3000},res=>{let b='';res.on('data',x=>{if(b.length<2000)b+=x});res.on('end',()=>{console.log(JSON.stringify({status:res.statusCode,body:b.slice(0,500),ms:Date.now()-t}))})});r.on('timeout',()=>{r.destroy(Object.assign(new Error('timeout'),{code:'ETIMEDOUT'}))});r.on('error',e=>{console.log(JSON.stringify({error:e.code==='ECONNREFUSED'?'refused':e.code==='ETIMEDOUT'?'timeout':e.code==='ENETUNREACH'||e.code==='EHOSTUNREACH'?'unreachable':(e.code||e.message),ms:Date.now()-t}))})`
  const url = v6Device ? `http://[fe80::a9fe:a9fe%${v6Device}]/` : 'http://169.254.169.254/'
  const argv = ['ip', 'netns', 'exec', ns, process.execPath, '-e', script, ...(v6Device ? ['--', v6Device] : [])]
  const r = await run(argv[0], argv.slice(1), {timeoutMs: 10_000})
  const shown = ['ip', 'netns', 'exec', ns, 'GET', url]
  try {
    return {argv: shown, url, ...JSON.parse(r.stdout)}
  } catch {
    return {argv: shown, error: r.failedToStart ?? (r.stderr.trim() || 'no answer'), url}
  }
}
