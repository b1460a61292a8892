"""Broad-crawl Scrapy spider for trawl's benchmark (many seed sites, few pages each).

    http_proxy=http://127.0.0.1:PORT scrapy runspider scrapy_broad.py -a seeds=FILE -a out=FILE \
        -s CONCURRENT_REQUESTS=N

Settings as close to trawl's defaults as Scrapy has: robots.txt obeyed, 4
requests per host, depth 3, same-host links only, retries 2, 30 s timeout.
Name resolution: the seeds' hosts (hI.test) do not resolve; Scrapy's
HttpProxyMiddleware takes `http_proxy` from the environment and sends every
request in absolute form to nginx, which serves it under the request's host.
Writes one line per response as it arrives ("STATUS URL"), and "ERR KIND URL"
per failed request, so a run cut by its cap keeps what it did.
"""
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse


class Broad(scrapy.Spider):
    name = "broad"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "DEPTH_LIMIT": 3,
        "DOWNLOAD_TIMEOUT": 30,
        "RETRY_TIMES": 2,
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "HTTPERROR_ALLOW_ALL": True,
        # a broad crawl: breadth-first keeps memory flat and spreads hosts
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "REACTOR_THREADPOOL_MAXSIZE": 20,
    }

    def __init__(self, seeds, out, **kw):
        super().__init__(**kw)
        self.seeds = [l.strip() for l in open(seeds) if l.strip() and not l.startswith("#")]
        self.fh = open(out, "w", buffering=1)

    async def start(self):          # Scrapy >= 2.13
        for r in self.start_requests():
            yield r

    def start_requests(self):
        for u in self.seeds:
            yield scrapy.Request(u, callback=self.parse, errback=self.failed)

    def parse(self, response):
        self.fh.write(f"{response.status} {response.url}\n")
        if response.status != 200 or not isinstance(response, HtmlResponse):
            return
        host = urlsplit(response.url).netloc
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            u = urlsplit(url)
            if u.scheme in ("http", "https") and u.netloc == host:
                yield scrapy.Request(url, callback=self.parse, errback=self.failed)

    def failed(self, failure):
        kind = type(failure.value).__name__
        self.fh.write(f"ERR {kind} {failure.request.url}\n")

    def closed(self, reason):
        self.fh.close()
