"""Minimal follow-all Scrapy spider for trawl's benchmark.

    scrapy runspider scrapy_spider.py -a start=URL -a out=FILE -s CONCURRENT_REQUESTS=N ...

Follows every same-host <a href>, keeps nothing but the set of URLs answered
200 with HTML, written to OUT when the spider closes.  Robots ignored, no
delays, no depth limit (settings come from run.sh on the command line).
"""
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse


class FollowAll(scrapy.Spider):
    name = "followall"
    custom_settings = {
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "DEPTH_LIMIT": 0,
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "RETRY_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "HTTPERROR_ALLOW_ALL": False,
    }

    def __init__(self, start, out, **kw):
        super().__init__(**kw)
        self.start_urls = [start]
        self.out = out
        u = urlsplit(start)
        self.netloc = u.netloc
        self.found = []

    def parse(self, response):
        if not isinstance(response, HtmlResponse):
            return
        self.found.append(response.url)
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            u = urlsplit(url)
            if u.scheme in ("http", "https") and u.netloc == self.netloc:
                yield scrapy.Request(url, callback=self.parse)

    def closed(self, reason):
        with open(self.out, "w") as f:
            f.write("\n".join(self.found) + "\n")
