from mumaris.kafka import backoff_delay


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(n, 0.2, 1.0) for n in range(1, 6)] == [0.2, 0.4, 0.8, 1.0, 1.0]
