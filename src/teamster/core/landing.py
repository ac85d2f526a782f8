"""The landing zone: Parquet files, Hive-partitioned by asset key and partition.

``<root>/<key path>/[<column>=<value>/]data.parquet`` on a local folder or a GCS bucket
(``gs://<prefix>-<location>/...``) through the same ``pyarrow.fs`` calls. A file is
written beside its final name and moved into place, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from dagster import AssetKey

from teamster.core.partitions import Partition
from teamster.core.settings import GCSLandingSettings, LocalLandingSettings


@dataclass(frozen=True)
class LandedFile:
    uri: str  # what a warehouse loader reads: a local path or gs:// URI
    rows: int
    bytes: int
    partition: Partition | None = None


class LandingZone:
    def __init__(self, settings: LocalLandingSettings | GCSLandingSettings):
        self.settings = settings
        if isinstance(settings, LocalLandingSettings):
            self.fs: pafs.FileSystem = pafs.LocalFileSystem()
        else:
            self.fs = pafs.GcsFileSystem()

    def path_for(self, key: AssetKey, partition: Partition | None = None) -> str:
        parts = list(key.path)
        if isinstance(self.settings, LocalLandingSettings):
            base = f"{self.settings.root.as_posix()}/{'/'.join(parts)}"
        else:
            base = f"{self.settings.bucket_prefix}-{parts[0]}/{'/'.join(parts[1:])}"
        if partition is not None:
            base += f"/{partition.folder}"
        return f"{base}/data.parquet"

    def uri(self, path: str) -> str:
        return path if isinstance(self.settings, LocalLandingSettings) else f"gs://{path}"

    def write(
        self,
        key: AssetKey,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        partition: Partition | None = None,
    ) -> LandedFile:
        """Stream batches into one Parquet file; on any error nothing is left behind."""
        final = self.path_for(key, partition)
        directory = final.rsplit("/", 1)[0]
        self.fs.create_dir(directory, recursive=True)
        atomic = isinstance(self.settings, LocalLandingSettings)
        target = f"{directory}/.data.{uuid.uuid4().hex}.parquet.tmp" if atomic else final
        rows = 0
        try:
            with (
                self.fs.open_output_stream(target) as sink,
                pq.ParquetWriter(sink, schema, compression="zstd") as writer,
            ):
                for batch in batches:
                    writer.write_batch(batch)
                    rows += batch.num_rows
            if atomic:
                self.fs.move(target, final)
        except BaseException:
            if atomic:
                with contextlib.suppress(OSError):
                    self.fs.delete_file(target)
            raise
        size = self.fs.get_file_info(final).size or 0
        return LandedFile(uri=self.uri(final), rows=rows, bytes=size, partition=partition)
