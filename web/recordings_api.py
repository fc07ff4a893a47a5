"""REST for a session's recordings and their playback page (docs/recording.md).

GET /api/rooms/{room_id}/recordings, GET /api/rooms/{room_id}/recordings/{recording_id}/{file}
(``?download=1``: as an attachment), page /rooms/{room_id}/recordings. Host's office and admin only:
recordings are of people.
"""

from __future__ import annotations

from aiohttp import web

from edge.keys import RECORDINGS
from media.recordings import RecordingLibrary, UnknownRecording
from pendopo.declared import as_json
from rooms.recording_answer import RecordingAnswer, RecordingList
from web import openapi, pages
from web.auth import require_host
from web.errors import ApiError


def _library(request: web.Request) -> RecordingLibrary:
    return request.app[RECORDINGS]


def _not_found(what: str) -> ApiError:
    return ApiError("not_found", f"No such {what}.", status=404)


async def list_recordings(request: web.Request) -> web.Response:
    require_host(request)
    room_id = request.match_info["room_id"]
    try:
        found = _library(request).of_room(room_id)
    except UnknownRecording as exc:
        raise _not_found("session") from exc
    listed = RecordingList(items=[RecordingAnswer.of(meta) for meta in found])
    return web.json_response(as_json(listed))


async def recording_file(request: web.Request) -> web.StreamResponse:
    require_host(request)
    info = request.match_info
    try:
        path = _library(request).file(info["room_id"], info["recording_id"], info["file"])
    except UnknownRecording as exc:
        raise _not_found("recording") from exc
    if not path.is_file():
        raise _not_found("recording")
    headers = {"Content-Type": "video/webm", "Cache-Control": "private, max-age=3600"}
    if request.query.get("download") == "1":
        name = f"{info['recording_id']}-{info['file']}"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return web.FileResponse(path, headers=headers)  # Range requests: the player can seek


def setup(app: web.Application) -> None:
    app.router.add_get("/api/rooms/{room_id}/recordings", list_recordings)
    app.router.add_get("/api/rooms/{room_id}/recordings/{recording_id}/{file}", recording_file)
    pages.add_page(app, "/rooms/{room_id}/recordings", "recordings.html", signed_in=True)


_ROOM_ID = openapi.Param("room_id", "path", description="session id (11 characters)")
openapi.add_schemas(openapi.declared(outputs=(RecordingList,)))

openapi.describe(
    openapi.Operation("GET", "/api/rooms/{room_id}/recordings", "A session's recordings",
        "meetings", "host", params=(_ROOM_ID,), errors=(404,),
        response=openapi.ref("RecordingList")),
    openapi.Operation("GET", "/api/rooms/{room_id}/recordings/{recording_id}/{file}",
        "One participant's recorded file (video/webm)", "meetings", "host",
        params=(_ROOM_ID, openapi.Param("recording_id", "path"), openapi.Param("file", "path"),
                openapi.Param("download", schema={"type": "string", "enum": ["1"]})),
        errors=(404,), response={"type": "string", "format": "binary"},
        content_type="video/webm"),
)  # fmt: skip
