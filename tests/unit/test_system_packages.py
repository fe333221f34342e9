"""The runtime library of a -dev package, from real `apt-cache show` output of Debian 12."""

from __future__ import annotations

from pathlib import Path

from dockyard import system_packages as sp


def packages(data_dir: Path) -> dict[str, sp.Package]:
    found = sp.parse_show((data_dir / "apt" / "apt-cache-show.txt").read_text())
    return found | sp.parse_show((data_dir / "apt" / "apt-cache-show-mariadb.txt").read_text())


def test_parse_show(data_dir: Path) -> None:
    found = packages(data_dir)
    assert found["libpq-dev"].version == "15.18-0+deb12u1"
    assert found["libpq-dev"].depends == (
        sp.Dependency(name="libpq5", op="=", version="15.18-0+deb12u1"),
        sp.Dependency(name="libssl-dev"),
    )


def test_runtime_libraries_are_the_same_version_pins(data_dir: Path) -> None:
    found = packages(data_dir)
    assert sp.runtime_libraries("libpq-dev", found) == ("libpq5",)
    assert sp.runtime_libraries("libffi-dev", found) == ("libffi8",)
    assert sp.runtime_libraries("libxml2-dev", found) == ("libxml2",)
    # no pin of its own: followed through libmariadb-dev-compat to libmariadb-dev
    assert sp.runtime_libraries("default-libmysqlclient-dev", found) == ("libmariadb3",)
    assert sp.runtime_libraries("python3-dev", found) == ()  # Debian's Python is not the image's
    assert sp.runtime_libraries("nope-dev", found) is None


def test_what_a_second_query_must_look_up(data_dir: Path) -> None:
    first = sp.parse_show((data_dir / "apt" / "apt-cache-show.txt").read_text())
    assert sp.unresolved_dev(first, ["default-libmysqlclient-dev", "libpq-dev"]) == ("libmariadb-dev-compat",)


def test_cache_round_trip_and_no_docker_means_cached_only(tmp_path: Path) -> None:
    sp.save_cache(tmp_path, "python:3.12-slim", {"libpq-dev": ("libpq5",)})
    assert sp.resolve(None, "python:3.12-slim", ["libpq-dev", "libffi-dev"], tmp_path) == {
        "libpq-dev": ("libpq5",)
    }
    assert sp.resolve(None, "python:3.11-slim", ["libpq-dev"], tmp_path) == {}
    assert sp.show_argv("docker", "img", ["a-dev"])[-1].endswith("apt-cache show --no-all-versions a-dev")
