import os

import psycopg2
from psycopg2.extras import Json

DSN = os.environ.get("DATABASE_URL", "")


def save(result: dict) -> None:
    """Keep a finished job's result in Postgres, when DATABASE_URL names one."""
    with psycopg2.connect(DSN) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO results (id, body) VALUES (%s, %s)", (result["id"], Json(result)))
