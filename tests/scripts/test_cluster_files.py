"""The cluster's files (deploy/cluster/) as Rasa and HAProxy read them, with its settings."""

import shutil
import subprocess

import pytest

from scripts.cluster import Cluster, ClusterConfig


@pytest.fixture
def cluster_env(tmp_path, monkeypatch):
    config = ClusterConfig.throwaway(tmp_path, pg_user="postgres", pg_host="db.example")
    env = Cluster(config).env()
    for key, value in env.items():
        if key.startswith("HN2301_"):
            monkeypatch.setenv(key, value)
    return config, env


def test_every_rasa_server_reads_postgresql_redis_and_the_action_balancer(cluster_env):
    from rasa.utils.endpoints import read_endpoint_config

    config, _ = cluster_env
    path = str(config.endpoints_source)
    tracker = read_endpoint_config(path, "tracker_store")
    assert tracker.type == "extensions.erasable_tracker_store.ErasableSQLTrackerStore"
    assert (tracker.url, tracker.kwargs["dialect"], tracker.kwargs["db"]) == (
        "db.example",
        "postgresql",
        "hn2301_cluster_test",
    )
    lock = read_endpoint_config(path, "lock_store")
    assert (lock.type, lock.url, lock.kwargs["key_prefix"]) == ("redis", "127.0.0.1", "hn2301test")
    action = read_endpoint_config(path, "action_endpoint")
    assert action.url == f"http://127.0.0.1:{config.actions_port}/webhook"
    assert config.database_url == (
        "postgresql+psycopg2://postgres@db.example:5432/hn2301_cluster_test"
    )


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed")
def test_haproxy_accepts_its_file_with_the_cluster_addresses(cluster_env):
    config, env = cluster_env
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(config.haproxy_config)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_dead_rasa_servers_lock_ticket_holds_a_conversation_20_s_not_rasas_60(cluster_env):
    """Rasa reads TICKET_LOCK_LIFETIME at start; the turn HAProxy re-sends waits for it."""
    _, env = cluster_env
    assert env["TICKET_LOCK_LIFETIME"] == "20"
