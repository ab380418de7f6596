/** The --probe GET: one request to 169.254.169.254 from inside a namespace (never from the root one). */
import type {ProbeRecord} from '../evidence/evidence.js'
import {run} from '../system/exec.js'

/** One GET of http://169.254.169.254/ from inside the namespace, by this same Node binary. */
export async function probeFromNamespace(ns: string): Promise<ProbeRecord> {
  const script = `const t=Date.now();const r=require('http').get({host:'169.254.169.254',port:80,path:'/',timeout:3000},res=>{let b='';res.on('data',d=>{if(b.length<2000)b+=d});res.on('end',()=>{console.log(JSON.stringify({status:res.statusCode,body:b.slice(0,500),ms:Date.now()-t}))})});r.on('timeout',()=>{r.destroy(Object.assign(new Error('timeout'),{code:'ETIMEDOUT'}))});r.on('error',e=>{console.log(JSON.stringify({error:e.code==='ECONNREFUSED'?'refused':e.code==='ETIMEDOUT'?'timeout':e.code==='ENETUNREACH'||e.code==='EHOSTUNREACH'?'unreachable':(e.code||e.message),ms:Date.now()-t}))})`
  const argv = ['ip', 'netns', 'exec', ns, process.execPath, '-e', script]
  const r = await run(argv[0], argv.slice(1), {timeoutMs: 10_000})
  const shown = ['ip', 'netns', 'exec', ns, 'GET', 'http://169.254.169.254/']
  try {
    return {argv: shown, url: 'http://169.254.169.254/', ...JSON.parse(r.stdout)}
  } catch {
    return {argv: shown, error: r.failedToStart ?? (r.stderr.trim() || 'no answer'), url: 'http://169.254.169.254/'}
  }
}
