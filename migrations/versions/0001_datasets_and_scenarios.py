"""Stored datasets and saved scenarios (issue 12, item 2).

Revision ID: 0001
Revises:
Create Date: 2025-12-01

Users and the audit log (issue 13) come in a later revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        # sha256 of the dataset's file names, sizes and bytes (services.state.dataset_content_id)
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("file_count", sa.Integer(), nullable=False),
        # set when deleted: the files are removed, the row stays for scenarios that name it
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
    )
    # A name is unique among the datasets not deleted.
    op.create_index(
        "uq_datasets_live_name",
        "datasets",
        ["name"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        # None: the app's default dataset
        sa.Column("dataset_id", sa.String(64), nullable=True),
        # the Scenarios page's URL query without "?", e.g. "people_per_pe=50&target=0.8"
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(100), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_scenarios_dataset_id_datasets",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scenarios"),
        sa.UniqueConstraint("name", name="uq_scenarios_name"),
    )


def downgrade() -> None:
    op.drop_table("scenarios")
    op.drop_index("uq_datasets_live_name", table_name="datasets")
    op.drop_table("datasets")
