"""What each worker of ``pendopo run --workers N`` is (pendopo/workers.py): its own port after
the shared ones, its node id, its URLs (its own first: where ``wrong_node`` sends a browser),
and the prober in the first worker only. The processes themselves: tests/scaling/test_workers.py."""

from __future__ import annotations

from pendopo.config import load_settings
from pendopo.listen import ListenAddress
from pendopo.workers import plan

REDIS = {"PENDOPO_REDIS_URL": "redis://127.0.0.1:6379/0"}


def test_each_worker_has_a_port_of_its_own_after_the_shared_ones() -> None:
    settings = load_settings({"listen": ("0.0.0.0:8080", "[::]:8443"), "workers": 3}, environ=REDIS)
    workers = plan(settings)
    assert [w.index for w in workers] == [0, 1, 2]
    assert [w.own for w in workers] == [
        (ListenAddress("0.0.0.0", 8081), ListenAddress("::", 8444)),
        (ListenAddress("0.0.0.0", 8082), ListenAddress("::", 8445)),
        (ListenAddress("0.0.0.0", 8083), ListenAddress("::", 8446)),
    ]
    second = workers[1].settings
    assert second.workers == 1  # a worker serves; it does not start workers of its own
    assert second.listen_addresses == (*workers[1].own, *settings.listen_addresses)
    assert second.node_urls[0] == "http://0.0.0.0:8082"
    assert second.node_name == "0.0.0.0:8082"  # unique per worker without a node_id
    assert second.redis_url == settings.redis_url and second.data_dir == settings.data_dir
    # a session spreads over every worker's SFU: its own socket first
    run = settings.data_dir / "run"
    assert second.cascade_sockets == tuple(str(run / f"worker-{k}.sock") for k in (2, 1, 3))
    assert workers[0].settings.cascade_sockets[0] == str(run / "worker-1.sock")


def test_only_the_first_worker_probes_and_a_node_id_is_numbered() -> None:
    settings = load_settings({"workers": 2, "node_id": "kominfo"}, environ=REDIS)
    first, second = plan(settings)
    assert first.settings.probe_enabled and not second.settings.probe_enabled
    assert (first.settings.node_name, second.settings.node_name) == ("kominfo-1", "kominfo-2")
    off = load_settings({"workers": 2, "probe_enabled": False}, environ=REDIS)
    assert not any(w.settings.probe_enabled for w in plan(off))
