"""The local stack launcher's pure parts."""

from mumaris.tools.stack import _new_cluster_id


def test_kafka_cluster_ids_never_look_like_an_option() -> None:
    ids = [_new_cluster_id() for _ in range(2000)]  # ~30 would start with "-" without the guard
    assert not any(cluster_id.startswith("-") for cluster_id in ids)
    assert all(len(cluster_id) == 22 for cluster_id in ids)
