"""The benchmark's own parts that decide what a figure means (bench/, `make bench`)."""

import json

import pytest
from django.conf import settings
from django.test import RequestFactory

from bench.live import percentile
from bench.load import MARK, LoadError, parse, rotate_script
from bench.views import bare


@pytest.mark.django_db
def test_the_baseline_view_answers_after_exactly_one_query(owner, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = bare(RequestFactory().get("/"), owner.diary.pk)
    assert json.loads(response.content) == {"pk": owner.diary.pk, "title": "Notes"}


def test_wrk_figures_are_read_in_milliseconds_with_every_error_counted():
    line = MARK + json.dumps(
        {
            "requests": 500,
            "duration_us": 5_000_000,
            "p50_us": 1500,
            "p90_us": 2500,
            "p99_us": 9000,
            "max_us": 12000,
            "connect": 0,
            "read": 1,
            "write": 0,
            "status": 2,
            "timeout": 0,
        }
    )
    load = parse(f"Running 5s test\n{line}\n")
    assert (load.p50_ms, load.p99_ms, load.rps, load.errors) == (1.5, 9.0, 100.0, 3)


def test_wrk_output_without_figures_is_refused():
    with pytest.raises(LoadError):
        parse("Running 5s test\nsomething else\n")


def test_percentiles_are_nearest_rank():
    samples = [float(n) for n in range(1, 201)]
    assert percentile(samples, 0.50) == 100.0
    assert percentile(samples, 0.99) == 198.0
    assert percentile([7.0], 0.99) == 7.0


def test_each_sender_posts_with_its_own_cookie():
    script = rotate_script([{"Cookie": "w=one"}, {"Cookie": "w=two"}], ['{"kind": "saw"}'])
    assert '["Cookie"] = "w=one"' in script and '["Cookie"] = "w=two"' in script
    assert '"{\\"kind\\": \\"saw\\"}"' in script


def test_the_bench_servers_take_the_first_three_ports_of_the_range_it_is_given():
    from bench.run import ports

    assert ports("8820-8849") == (8820, 8821, 8822)
    assert ports("") == (8401, 8402, 8403)  # unset: the default range
    with pytest.raises(SystemExit):
        ports("8820-8821")  # too few for three servers
    with pytest.raises(SystemExit):
        ports("eighty")


@pytest.mark.django_db
def test_a_measured_diary_gives_the_entry_and_the_contacts_the_benchmark_uses(client):
    from bench.data import CONTACTS, measured
    from diary.models import User
    from witnesses.demo.story import STORY

    meta = measured("small", len(STORY.incidents) + 20)

    client.force_login(User.objects.get(pk=meta["owner"]))
    assert client.get(f"/diary/entries/{meta['entry']}/").status_code == 200
    client.logout()
    assert len(set(meta["witness_keys"])) == CONTACTS
    client.cookies[settings.WITNESS_COOKIE_NAME] = meta["witness_all_key"]
    timeline = client.get("/api/witness/timeline/").json()
    assert timeline["count"] == meta["counts"]["entries"] - meta["counts"]["withdrawn"]


@pytest.mark.django_db
def test_the_offline_job_times_the_bundles_own_verify_py_over_a_whole_bundle(owner):
    from bench.jobs import offline
    from tests.factories import make_entry

    make_entry(owner)
    make_entry(owner)
    records = owner.diary.ledger.count()
    figures = offline(owner.diary)
    assert figures["records"] == records
    assert 0 < figures["verifier_cpu_seconds"] <= figures["verifier_seconds"] + 1
    assert 0 <= figures["copy_seconds"] < figures["verifier_cpu_seconds"]


X = "\N{MULTIPLICATION SIGN}"  # as the tables print it


def _sends_while_building(*, during_p99: float, still_reading: bool) -> dict:
    def run(p99: float) -> dict:
        return {"p50_ms": 200.0, "p99_ms": p99, "rps": 30.0, "bare": {"p99_ms": 250.0}}

    job = {"state": "running", "stage": "chronology", "percent": 33}
    return {
        "seconds_per_run": 30.0,
        "quiet": run(6000.0),
        "quiet_bare": {"p99_ms": 250.0, "rps": 180.0},
        "during": run(during_p99),
        "ratio_p99": during_p99 / 6000.0,
        "bare_ratio_p99": 1.4,
        "job_at_start": {**job, "stage": "files", "percent": 19},
        "job_at_end": job if still_reading else {**job, "state": "done", "stage": "checking"},
        "still_reading": still_reading,
        "build": {"seconds": 304.2, "attempts": 1},
    }


def test_sends_while_a_bundle_is_made_are_judged_against_the_same_sends_without_one():
    from bench.report import other_table

    slow = other_table(
        {"submit_build": _sends_while_building(during_p99=10800.0, still_reading=True)}
    )
    assert f"p99 1.8{X} no bundle" in slow and f"p99 ≤ 1.5{X} no bundle | **not met**" in slow
    assert "(files 19% → chronology 33%)" in slow
    fine = other_table(
        {"submit_build": _sends_while_building(during_p99=8400.0, still_reading=True)}
    )
    assert f"p99 1.4{X} no bundle" in fine and f"p99 ≤ 1.5{X} no bundle | met" in fine


def test_sends_that_outlasted_the_bundles_read_judge_no_goal():
    from bench.report import other_table

    table = other_table(
        {"submit_build": _sends_while_building(during_p99=6000.0, still_reading=False)}
    )
    assert "the bundle was done, no longer reading, when the sends ended" in table
    assert f"p99 ≤ 1.5{X} no bundle | — |" in table


def test_an_import_is_judged_on_its_cpu_time_and_its_peak_memory():
    from bench.report import other_table

    def job(cpu: float, peak: float) -> dict:
        return {
            "seconds": cpu + 5,
            "cpu_seconds": cpu,
            "baseline_mb": 80.0,
            "peak_mb": peak,
            "bytes": 4_243_775,
            "messages": 50_000,
            "chosen": "Bob",
            "added": 40_000,
            "stages": {"reading": 3.0, "adding": cpu - 3},
        }

    table = other_table({"imports": {"chat": job(41.0, 120.0), "mail": job(75.0, 230.0)}})
    chat, chat_memory, mail, mail_memory = table.splitlines()[2:]
    assert "50,000 messages (4.2 MB), the main sender's 40,000 added" in chat
    assert "41.0 s CPU (46.0 s wall) |  | < 60 s | met |" in chat
    assert "reading 3.0 · adding 38.0" in chat
    assert chat_memory.endswith("| 120 MB |  | peak < 200 MB | met |")
    assert mail.endswith("| < 60 s | **not met** |")
    assert mail_memory.endswith("| 230 MB |  | peak < 200 MB | **not met** |")
