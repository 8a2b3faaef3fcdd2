"""Confluence long tasks, and the simulator-only space export built on them."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import LongTask, utc_now
from connectors.simulator.wire import ApiError, Response, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
V1 = "/wiki/rest/api"


def start(
    ctx: Ctx, name: str, kind: str, result: dict[str, Any] | None = None
) -> LongTask:
    """Create a long task that finishes after the configured number of polls."""
    task = LongTask(
        ctx.state.ids.uuid(),
        name,
        max(1, ctx.config.longtask_polls),
        kind=kind,
        result=result or {},
        created=utc_now(),
    )
    ctx.state.tasks[task.id] = task
    return task


def task_json(task: LongTask) -> dict[str, Any]:
    """Render a long task."""
    percent = min(100, int(100 * task.polls / task.polls_needed))
    data: dict[str, Any] = {
        "id": task.id,
        "name": {"key": task.name, "args": []},
        "elapsedTime": 1000 * task.polls,
        "percentageComplete": percent,
        "successful": True,
        "finished": task.finished,
        "messages": [
            {"translation": "Finished" if task.finished else "In progress", "args": []}
        ],
        "status": "COMPLETE" if task.finished else "IN_PROGRESS",
    }
    if task.finished and task.result:
        data["additionalDetails"] = dict(task.result)
    return data


@route("GET", V1 + "/longtask")
def list_tasks(ctx: Ctx) -> Response:
    """All long tasks (does not advance them)."""
    tasks = [task_json(t) for t in ctx.state.tasks.values()]
    return json_response(
        {"results": tasks, "start": 0, "limit": 100, "size": len(tasks)}
    )


@route("GET", V1 + "/longtask/{task_id}")
def get_task(ctx: Ctx) -> Response:
    """Poll a long task; each poll advances it."""
    task = ctx.state.tasks.get(ctx.params["task_id"])
    if task is None:
        raise ApiError(404, f"No long task with id {ctx.params['task_id']}")
    if not task.finished:
        task.polls += 1
    return json_response(task_json(task))


@route("POST", V1 + "/space/{space_key}/export")
def export_space(ctx: Ctx) -> Response:
    """Simulator-only (no documented Cloud endpoint): export a space as a zip via a long task."""
    space = ctx.state.space_by_key.get(ctx.params["space_key"])
    if space is None:
        raise ApiError(404, f"No space with key : {ctx.params['space_key']}")
    body = check_object(ctx.json() if ctx.request.body.strip() else {}, {"format": str})
    if body.get("format", "html") not in ("html", "xml"):
        raise ApiError(400, "Export format must be html or xml.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for content in ctx.state.content.values():
            if (
                content.space_id == space.id
                and content.type in ("page", "blogpost")
                and content.status == "current"
            ):
                archive.writestr(
                    f"{space.key}/{content.id}.html",
                    f"<h1>{content.title}</h1>{content.body}",
                )
    task = start(
        ctx, "com.atlassian.confluence.extra.flyingpdf.exporttask", "space-export"
    )
    link = f"/wiki/download/temp/export-{task.id}.zip"
    ctx.state.exports[task.id] = buffer.getvalue()
    task.result = {"downloadLink": link}
    return json_response(
        {"id": task.id, "links": {"status": f"{V1}/longtask/{task.id}"}}, 202
    )


@route("GET", "/wiki/download/temp/{file_name}")
def download_export(ctx: Ctx) -> Response:
    """Download a finished export."""
    task_id = ctx.params["file_name"].removeprefix("export-").removesuffix(".zip")
    task = ctx.state.tasks.get(task_id)
    if task is None or task_id not in ctx.state.exports or not task.finished:
        raise ApiError(404, "Export not found or not finished.")
    return Response(
        200, ctx.state.exports[task_id], [("Content-Type", "application/zip")]
    )
