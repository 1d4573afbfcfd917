// Preloaded into a CLI under test (NODE_OPTIONS="--expose-gc --require this"): on SIGUSR2 it runs
// a full GC and appends the live heap to $XFER_TEST_GC_REPORT, so a leak test sees what is still
// referenced rather than RSS, which also holds garbage not yet collected.
//
// Twice, 100 ms apart: V8 frees the memory behind dead ArrayBuffers (the `external` figure)
// concurrently after a GC, and native handles go only in callbacks that run after it; one GC
// measured at once still counted up to ~10 MiB of buffers that were already garbage.
const fs = require('node:fs');
process.on('SIGUSR2', () => {
  if (global.gc) global.gc();
  setTimeout(() => {
    if (global.gc) global.gc();
    const m = process.memoryUsage();
    fs.appendFileSync(process.env.XFER_TEST_GC_REPORT, `${JSON.stringify({ heapMiB: m.heapUsed / 1048576, externalMiB: m.external / 1048576 })}\n`);
  }, 100);
});
