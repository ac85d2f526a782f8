"""The landing zone: Parquet files, Hive-partitioned by asset key and partition.

``<root>/<key path>/[<column>=<value>/]data.parquet`` on a local folder or a GCS bucket
(``gs://<prefix>-<location>/...``) through the same ``pyarrow.fs`` calls. A file is
written beside its final name and moved into place, so a reader never sees half of one.
Locally, folders are created 0700 and files 0600 (``teamster.core.private``): landed
files hold student records, whatever the process's umask.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from dagster import AssetKey

from teamster.core.partitions import Partition
from teamster.core.private import create_private_file, private_dir
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
        self._gcs = None

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
        if isinstance(self.settings, GCSLandingSettings):
            return self._write_gcs(final, schema, batches, partition)
        directory = final.rsplit("/", 1)[0]
        fs = pafs.LocalFileSystem()
        private_dir(Path(directory))
        target = f"{directory}/.data.{uuid.uuid4().hex}.parquet.tmp"
        # made 0600 here: pyarrow then truncates it and keeps the mode (it would
        # otherwise create the file with the umask's mode)
        create_private_file(Path(target))
        try:
            rows = _write_parquet(fs.open_output_stream(target), schema, batches)
            fs.move(target, final)
        except BaseException:
            with contextlib.suppress(OSError):
                fs.delete_file(target)
            raise
        size = fs.get_file_info(final).size or 0
        return LandedFile(uri=self.uri(final), rows=rows, bytes=size, partition=partition)

    def _write_gcs(
        self,
        final: str,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        partition: Partition | None,
    ) -> LandedFile:
        """Write the whole file on local disk first, then upload it in one request.

        A GCS object exists only once its upload completes, so a reader sees the old
        object or the new one. Streaming straight into the bucket would not do: closing
        the stream after a failed batch still finalizes a shorter, valid Parquet file.
        """
        bucket, name = final.split("/", 1)
        with tempfile.NamedTemporaryFile(suffix=".parquet") as spool:
            rows = _write_parquet(pa.output_stream(spool.name), schema, batches)
            size = os.path.getsize(spool.name)
            blob = self._gcs_client().bucket(bucket).blob(name)
            blob.upload_from_filename(spool.name, content_type="application/vnd.apache.parquet")
        return LandedFile(uri=self.uri(final), rows=rows, bytes=size, partition=partition)

    def _gcs_client(self):
        if self._gcs is None:
            from teamster.core.google import storage_client  # the ``prod`` extra

            assert isinstance(self.settings, GCSLandingSettings)
            self._gcs = storage_client(self.settings.project, self.settings.endpoint)
        return self._gcs


def _write_parquet(
    sink: pa.NativeFile, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
) -> int:
    """Every batch into ``sink`` (closed on return); the number of rows written."""
    rows = 0
    with sink, pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows
