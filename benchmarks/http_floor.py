"""How fast can any client call this simulator on this machine? The harness's own floor.

The reconciliation benchmark's lower bound (calls x latency / concurrency) assumes the
calls cost no CPU. Here the simulator shares the machine's cores with the reconciling
process, and every call costs both of them CPU. This probe makes the benchmark's most
frequent call (a page of a Jira group's members) from `concurrency` threads with a bare
httpx client that does nothing with the answers but decode them, and reports the rate it
reaches: no reconciler can go faster against the same simulator on the same machine.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx

PAGE = 50


@dataclass(frozen=True)
class Floor:
    """Calls per second a bare client reached, and at what concurrency."""

    calls: int
    seconds: float
    concurrency: int

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def seconds_for(self, calls: int) -> float:
        """The least time `calls` calls take against this simulator on this machine."""
        return calls / self.rate if self.rate else 0.0


def _group_ids(client: httpx.Client, wanted: int) -> list[str]:
    answer = client.get("/rest/api/3/group/bulk", params={"maxResults": wanted})
    answer.raise_for_status()
    return [group["groupId"] for group in answer.json()["values"]]


def measure_floor(
    url: str, auth: tuple[str, str], *, concurrency: int, calls: int = 1600
) -> Floor:
    """Make `calls` group-member page calls from `concurrency` threads; time them."""
    with httpx.Client(base_url=url, auth=auth) as client:
        groups = _group_ids(client, 50)
    per_thread = max(1, calls // concurrency)
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        with httpx.Client(base_url=url, auth=auth, timeout=60) as client:
            for number in range(per_thread):
                group = groups[(offset + number) % len(groups)]
                params = {"groupId": group, "maxResults": PAGE, "startAt": PAGE}
                try:
                    client.get("/rest/api/3/group/member", params=params).json()
                except (httpx.HTTPError, ValueError) as error:
                    failures.append(error)
                    return

    threads = [
        threading.Thread(target=work, args=(index,)) for index in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"The floor probe failed: {failures[0]!r}")
    return Floor(per_thread * concurrency, seconds, concurrency)
