// sharp's side of run.sh: the same task as ours, over the same photos.
// node sharp-bench.mjs <jpeg|webp> <width> <quality> <in-flight> <repeat> <file>...
// Prints `images=<n> seconds=<wall>`. With in-flight 1 each image runs alone
// (sharp.concurrency(1) then keeps libvips to one thread); with N, N images
// are processed at once on libuv's thread pool.
import sharp from 'sharp';

const [format, width, quality, inFlight, repeat, ...files] = process.argv.slice(2);
const n = Number(inFlight);
sharp.cache(false);
if (n === 1) sharp.concurrency(1);
const jobs = [];
for (let r = 0; r < Number(repeat); r++) jobs.push(...files);

async function one(file) {
  // rotate(): apply EXIF orientation, as Stratus and vipsthumbnail do.
  const pipeline = sharp(file).rotate().resize({ width: Number(width) });
  const out = format === 'webp'
    ? pipeline.webp({ quality: Number(quality) })
    : pipeline.jpeg({ quality: Number(quality) });
  await out.toBuffer();
}

const started = process.hrtime.bigint();
let next = 0;
async function worker() {
  while (next < jobs.length) await one(jobs[next++]);
}
await Promise.all(Array.from({ length: n }, worker));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`images=${jobs.length} seconds=${seconds.toFixed(4)}`);
