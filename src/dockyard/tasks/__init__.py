"""The task tree behind the ``dockyard`` command (and ``invoke`` in dockyard's own checkout, via tasks.py)."""

from __future__ import annotations

from invoke.collection import Collection

from dockyard.tasks import (
    base,
    bench,
    cache,
    ci,
    demo,
    dev,
    docs,
    engine,
    phase1,
    phase2,
    phase3,
    phase4,
    phase5,
    rollout,
    scan,
    trend,
    verify,
    wheels,
)

namespace = Collection()
namespace.add_task(engine.doctor)
namespace.add_task(engine.build)
namespace.add_task(demo.demo)
namespace.add_task(phase2.phase2)
namespace.add_task(phase3.phase3)
namespace.add_task(phase4.phase4)
namespace.add_task(wheels.wheels)
namespace.add_task(verify.verify)
namespace.add_task(ci.ci)
namespace.add_task(trend.trend)
namespace.add_task(docs.docs)
namespace.add_task(phase5.phase5)
namespace.add_task(rollout.rollout)
namespace.add_collection(bench.bench)
namespace.add_collection(phase1.phase1)
namespace.add_collection(dev.dev)
namespace.add_collection(cache.cache)
namespace.add_collection(base.base)
namespace.add_collection(scan.scan)
