// Minimal follow-all Crawlee CheerioCrawler for trawl's benchmark.
//   node crawlee_cheerio.mjs URL CONCURRENCY OUTFILE
// Follows same-hostname links, keeps only the URLs answered 200 with HTML,
// written at the end.  Storage is in memory (CRAWLEE_PERSIST_STORAGE=false,
// set by run.sh), and the script exits itself: Crawlee otherwise idles ~50 s.
import { CheerioCrawler, Configuration } from '@crawlee/cheerio';
import { writeFileSync } from 'node:fs';

const [start, conc, out] = process.argv.slice(2);
const n = Number(conc);
const found = [];
// a run capped by `timeout` still reports the pages it found
process.on('SIGTERM', () => { writeFileSync(out, found.join('\n') + '\n'); process.exit(143); });
const config = new Configuration({ persistStorage: false, purgeOnStart: true, availableMemoryRatio: 0.5 });
const crawler = new CheerioCrawler({
    minConcurrency: n,
    maxConcurrency: n,
    maxRequestRetries: 0,
    maxRequestsPerCrawl: 10_000_000,
    requestHandlerTimeoutSecs: 60,
    async requestHandler({ request, response, enqueueLinks }) {
        // Crawlee hands 404 pages to the handler too; count only 200s
        if (response.statusCode === 200) found.push(request.loadedUrl ?? request.url);
        await enqueueLinks({ strategy: 'same-hostname' });
    },
    failedRequestHandler() {},
}, config);
await crawler.run([start]);
writeFileSync(out, found.join('\n') + '\n');
process.exit(0);
