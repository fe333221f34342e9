"""The wheelhouse: wheels for the locked requirements, built once in the target's base image, keyed,
and installed offline with their hashes checked (the design is in docs/architecture.md).
"""

from dockyard.wheelhouse.build import (
    build as build,
)
from dockyard.wheelhouse.build import (
    finish_set as finish_set,
)
from dockyard.wheelhouse.build import (
    run_export as run_export,
)
from dockyard.wheelhouse.build import (
    write_context as write_context,
)
from dockyard.wheelhouse.builder import (
    builder_dockerfile as builder_dockerfile,
)
from dockyard.wheelhouse.builder import (
    export_request as export_request,
)
from dockyard.wheelhouse.builder import (
    stage_name as stage_name,
)
from dockyard.wheelhouse.builder import (
    wheel_command as wheel_command,
)
from dockyard.wheelhouse.inputs import (
    build_requires as build_requires,
)
from dockyard.wheelhouse.inputs import (
    inspect_base_image as inspect_base_image,
)
from dockyard.wheelhouse.inputs import (
    parse_base_image as parse_base_image,
)
from dockyard.wheelhouse.inputs import (
    platform_directory as platform_directory,
)
from dockyard.wheelhouse.inputs import (
    read_manifest as read_manifest,
)
from dockyard.wheelhouse.inputs import (
    set_key as set_key,
)
from dockyard.wheelhouse.inputs import (
    set_status as set_status,
)
from dockyard.wheelhouse.inputs import (
    sha256_hex as sha256_hex,
)
from dockyard.wheelhouse.inputs import (
    status as status,
)
from dockyard.wheelhouse.inputs import (
    use as use,
)
from dockyard.wheelhouse.inputs import (
    wheel_sets as wheel_sets,
)
from dockyard.wheelhouse.lock import (
    checksum_line as checksum_line,
)
from dockyard.wheelhouse.lock import (
    wheel_file_name as wheel_file_name,
)
from dockyard.wheelhouse.lock import (
    wheelhouse_lock as wheelhouse_lock,
)
from dockyard.wheelhouse.model import (
    BUILD_DIR as BUILD_DIR,
)
from dockyard.wheelhouse.model import (
    DEFAULT_BUILD_REQUIRES as DEFAULT_BUILD_REQUIRES,
)
from dockyard.wheelhouse.model import (
    DIRNAME as DIRNAME,
)
from dockyard.wheelhouse.model import (
    EXPORT_DIR as EXPORT_DIR,
)
from dockyard.wheelhouse.model import (
    EXPORT_STAGE as EXPORT_STAGE,
)
from dockyard.wheelhouse.model import (
    GITIGNORE as GITIGNORE,
)
from dockyard.wheelhouse.model import (
    MANIFEST as MANIFEST,
)
from dockyard.wheelhouse.model import (
    RECIPE as RECIPE,
)
from dockyard.wheelhouse.model import (
    SCHEMA as SCHEMA,
)
from dockyard.wheelhouse.model import (
    SOURCE_DATE_EPOCH as SOURCE_DATE_EPOCH,
)
from dockyard.wheelhouse.model import (
    BaseImage as BaseImage,
)
from dockyard.wheelhouse.model import (
    Manifest as Manifest,
)
from dockyard.wheelhouse.model import (
    Origin as Origin,
)
from dockyard.wheelhouse.model import (
    Report as Report,
)
from dockyard.wheelhouse.model import (
    SetStatus as SetStatus,
)
from dockyard.wheelhouse.model import (
    State as State,
)
from dockyard.wheelhouse.model import (
    Status as Status,
)
from dockyard.wheelhouse.model import (
    Wheel as Wheel,
)
from dockyard.wheelhouse.model import (
    WheelSet as WheelSet,
)
