#!/usr/bin/env node
import {execute} from '../dist/run.js'

await execute({dir: import.meta.url})
