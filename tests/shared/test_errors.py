"""shared/errors.py: what the database or a codec refuses is a 4xx in every service."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.errors import install_storage_error_handlers


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def an_app() -> FastAPI:
    app = FastAPI()
    install_storage_error_handlers(app)

    @app.get("/conflict")
    async def conflict() -> None:
        raise IntegrityError("INSERT", None, _Orig("23505"))

    @app.get("/nul")
    async def nul() -> None:
        raise DBAPIError("INSERT", None, _Orig("22021"))

    @app.get("/surrogate")
    async def surrogate() -> None:
        "\ud800".encode()

    @app.get("/wrapped-surrogate")
    async def wrapped() -> None:
        try:
            "\ud800".encode()
        except UnicodeEncodeError as exc:
            raise DBAPIError("INSERT", None, exc) from exc

    @app.get("/down")
    async def down() -> None:
        raise DBAPIError("SELECT 1", None, _Orig("08006"))  # connection failure

    @app.get("/syntax")
    async def syntax() -> None:
        raise DBAPIError("SELEC 1", None, _Orig("42601"))  # a bug of ours

    return app


async def test_storage_errors_are_4xx_an_unreachable_database_503_and_the_rest_500() -> None:
    transport = httpx.ASGITransport(app=an_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        conflict = await client.get("/conflict")
        assert conflict.status_code == 409
        assert conflict.json()["detail"] == "数据冲突：记录已存在或已被修改，请刷新后重试"
        for path in ("/nul", "/wrapped-surrogate"):
            answer = await client.get(path)
            assert answer.status_code == 422, path
            assert answer.json()["detail"] == "输入包含无法保存的字符或超出范围的数值"
        surrogate = await client.get("/surrogate")
        assert surrogate.status_code == 422 and "无效字符" in surrogate.json()["detail"]
        down = await client.get("/down")  # the connection failed: send it again later
        assert down.status_code == 503
        assert down.json()["detail"] == "暂时无法连接数据库，请稍后重试"
        assert down.headers["Retry-After"] == "5"
        assert (await client.get("/syntax")).status_code == 500  # anything else is ours
