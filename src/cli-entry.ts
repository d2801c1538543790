#!/usr/bin/env node
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
// autocannon and the HTTP agents may leave timers behind; the verdict is final, so leave now.
setTimeout(() => process.exit(), 50).unref();
