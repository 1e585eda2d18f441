// Preloaded (node --require) into the processes the Pulumi engine starts through this project's
// launchers (toolchain/write-launchers.sh): the language host and the dynamic-provider host. The
// engine starts each in a process group of its own, so killing the engine's group (a cancelled CI
// job) leaves them running; this exits the process when its parent, the engine, is gone. A
// provider that did any work also checks before every write (runtime/engine-watchdog.ts).
"use strict";
const engine = process.ppid;
setInterval(() => {
  if (process.ppid !== engine) process.exit(1);
}, 500).unref();
