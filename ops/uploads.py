"""Relais takes no file upload: a file part in a multipart body is refused when
its headers are parsed, before a byte of it is stored in memory or on disk."""

from functools import wraps

from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadhandler import FileUploadHandler, MemoryFileUploadHandler
from django.views.decorators.csrf import csrf_exempt, csrf_protect


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


def accepts_a_small_file(view):
    """For the one view that takes a file (staff's card-stock CSV): the file is
    kept in memory only. Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE are refused (413)
    before any of this runs, so nothing ever reaches the disk.

    The upload handlers must be set before anything reads the body, CSRF
    included: the view is exempted from the middleware's check and protected
    here, after the handlers are in place (Django's documented pattern)."""
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.upload_handlers = [MemoryFileUploadHandler(request)]
        return protected(request, *args, **kwargs)

    return wrapped
