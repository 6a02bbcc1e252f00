"""Relais takes no file upload: a file part in a multipart body is refused when
its headers are parsed, before a byte of it is stored in memory or on disk."""

from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadhandler import FileUploadHandler


class FileUploadRefused(SuspiciousOperation):
    """A multipart body carried a file where none is expected (answered 400)."""


class RefuseFilesHandler(FileUploadHandler):
    """The only upload handler: raises at the first file part."""

    def new_file(self, *args, **kwargs):
        raise FileUploadRefused("file part in a request that expects none")

    def receive_data_chunk(self, raw_data, start):  # pragma: no cover - never reached
        raise FileUploadRefused("file part in a request that expects none")

    def file_complete(self, file_size):  # pragma: no cover - never reached
        return None
