"""Runs localstripe (a stateful fake Stripe API) on 127.0.0.1 only, keeping nothing on disk: `python this.py PORT`.

The stock `localstripe` command listens on every interface and pickles its state to /tmp on each write.
"""

import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app

resources.Store.dump_to_disk = lambda self: None

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
