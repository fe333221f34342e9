"""The .dockerignore: Docker's exact ignore semantics, a generated file, its checks and report.

How the parts fit, and where docker-py differs from BuildKit, is in docs/architecture.md.
"""

from dockyard.dockerignore.checks import (
    NeedCheck as NeedCheck,
)
from dockyard.dockerignore.checks import (
    check_needs as check_needs,
)
from dockyard.dockerignore.checks import (
    current_file_findings as current_file_findings,
)
from dockyard.dockerignore.checks import (
    dockerfile_label as dockerfile_label,
)
from dockyard.dockerignore.checks import (
    expand_source as expand_source,
)
from dockyard.dockerignore.checks import (
    normalize_source as normalize_source,
)
from dockyard.dockerignore.checks import (
    secret_findings as secret_findings,
)
from dockyard.dockerignore.checks import (
    symlink_findings as symlink_findings,
)
from dockyard.dockerignore.generate import (
    HEADER as HEADER,
)
from dockyard.dockerignore.generate import (
    DockerignorePlan as DockerignorePlan,
)
from dockyard.dockerignore.generate import (
    generate as generate,
)
from dockyard.dockerignore.generate import (
    plan_groups as plan_groups,
)
from dockyard.dockerignore.generate import (
    render as render,
)
from dockyard.dockerignore.generate import (
    render_dockerignore as render_dockerignore,
)
from dockyard.dockerignore.generate import (
    report_lines as report_lines,
)
from dockyard.dockerignore.generate import (
    scan_project as scan_project,
)
from dockyard.dockerignore.generate import (
    top_level_packages as top_level_packages,
)
from dockyard.dockerignore.model import (
    DATA_DIR_NAMES as DATA_DIR_NAMES,
)
from dockyard.dockerignore.model import (
    DEFAULT_SIZE_THRESHOLD as DEFAULT_SIZE_THRESHOLD,
)
from dockyard.dockerignore.model import (
    EXPERIMENT_DIR_NAMES as EXPERIMENT_DIR_NAMES,
)
from dockyard.dockerignore.model import (
    NOTEBOOK_DIR_NAMES as NOTEBOOK_DIR_NAMES,
)
from dockyard.dockerignore.model import (
    SECRET_SCAN_BYTES as SECRET_SCAN_BYTES,
)
from dockyard.dockerignore.model import (
    Finding as Finding,
)
from dockyard.dockerignore.model import (
    FoundDir as FoundDir,
)
from dockyard.dockerignore.model import (
    IgnoreGroup as IgnoreGroup,
)
from dockyard.dockerignore.model import (
    IgnoreOptions as IgnoreOptions,
)
from dockyard.dockerignore.model import (
    Kind as Kind,
)
from dockyard.dockerignore.model import (
    Level as Level,
)
from dockyard.dockerignore.model import (
    ProjectScan as ProjectScan,
)
from dockyard.dockerignore.model import (
    junk_patterns as junk_patterns,
)
from dockyard.dockerignore.model import (
    secret_patterns as secret_patterns,
)
from dockyard.dockerignore.report import (
    ContextReport as ContextReport,
)
from dockyard.dockerignore.report import (
    context_report as context_report,
)
from dockyard.dockerignore.report import (
    format_reports as format_reports,
)
from dockyard.dockerignore.report import (
    human_size as human_size,
)
from dockyard.dockerignore.semantics import (
    ContextFile as ContextFile,
)
from dockyard.dockerignore.semantics import (
    Matcher as Matcher,
)
from dockyard.dockerignore.semantics import (
    context_files as context_files,
)
from dockyard.dockerignore.semantics import (
    go_clean as go_clean,
)
from dockyard.dockerignore.semantics import (
    read_dockerignore as read_dockerignore,
)
from dockyard.dockerignore.semantics import (
    read_patterns as read_patterns,
)
