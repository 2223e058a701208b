"""The test suite's fake provider, registered: `STATUSCLI_PROVIDERS=tests.fake_provider` imports this
module, in the tests' process and in every `status` they start (see `conftest.py`, `--fake-provider`).
The record itself is `acme.py`; its simulator routes are `fake_provider_sim.py`."""

from statuscli.providers import register
from tests.acme import PROVIDER

register(PROVIDER)
