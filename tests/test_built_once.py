"""``built_once``: a value built on first use, once per object, even when threads race."""

from __future__ import annotations

import threading
import time

from papersift.built_once import built_once


class Owner:
    def __init__(self) -> None:
        self.builds = 0

    @built_once
    def service(self) -> list[int]:
        self.builds += 1
        time.sleep(0.01)  # long enough for racing threads to overlap
        return [self.builds]


def test_the_value_is_built_on_first_use_and_kept() -> None:
    owner = Owner()
    assert owner.builds == 0
    first = owner.service
    assert owner.service is first and owner.builds == 1


def test_each_object_builds_its_own() -> None:
    one, two = Owner(), Owner()
    assert one.service is not two.service


def test_racing_threads_build_once() -> None:
    owner = Owner()
    start = threading.Barrier(8)
    seen: list[list[int]] = []

    def use() -> None:
        start.wait()
        seen.append(owner.service)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert owner.builds == 1 and all(value is seen[0] for value in seen)


def test_a_value_can_be_given_instead() -> None:
    owner = Owner()
    owner.service = [42]
    assert owner.service == [42] and owner.builds == 0
