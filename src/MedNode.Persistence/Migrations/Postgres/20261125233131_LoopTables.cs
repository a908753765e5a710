using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MedNode.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LoopTables : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Audit",
                columns: table => new
                {
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    TimeUtcTicks = table.Column<long>(type: "bigint", nullable: false),
                    EventCode = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    EventScheme = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Action = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Outcome = table.Column<int>(type: "integer", nullable: false),
                    Participants = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    StudyInstanceUid = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    PatientId = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Detail = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    PreviousHash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Hash = table.Column<string>(type: "text", nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Audit", x => x.Sequence);
                });

            migrationBuilder.CreateTable(
                name: "Job",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    IdempotencyKey = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    UnitKey = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Version = table.Column<int>(type: "integer", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    SeriesInstanceUid = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Inputs = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ModelId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ModelSha256 = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    RuleName = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Destinations = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    Error = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    LeaseOwner = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    LeaseExpiresAtMs = table.Column<long>(type: "bigint", nullable: true),
                    CreatedAtMs = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAtMs = table.Column<long>(type: "bigint", nullable: false),
                    StageTimings = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ResultJson = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Job", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Outbox",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    JobId = table.Column<Guid>(type: "uuid", nullable: false),
                    Destination = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    SopClassUid = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    SopInstanceUid = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    StudyInstanceUid = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    BlobKey = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAtMs = table.Column<long>(type: "bigint", nullable: false),
                    LastError = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    DeliveredAtMs = table.Column<long>(type: "bigint", nullable: true),
                    Committed = table.Column<bool>(type: "boolean", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Outbox", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Audit_StudyInstanceUid",
                table: "Audit",
                column: "StudyInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_Audit_TimeUtcTicks",
                table: "Audit",
                column: "TimeUtcTicks");

            migrationBuilder.CreateIndex(
                name: "IX_Job_IdempotencyKey",
                table: "Job",
                column: "IdempotencyKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Job_State_CreatedAtMs",
                table: "Job",
                columns: new[] { "State", "CreatedAtMs" });

            migrationBuilder.CreateIndex(
                name: "IX_Job_StudyInstanceUid",
                table: "Job",
                column: "StudyInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_Job_UnitKey",
                table: "Job",
                column: "UnitKey");

            migrationBuilder.CreateIndex(
                name: "IX_Outbox_Destination_SopInstanceUid",
                table: "Outbox",
                columns: new[] { "Destination", "SopInstanceUid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Outbox_JobId",
                table: "Outbox",
                column: "JobId");

            migrationBuilder.CreateIndex(
                name: "IX_Outbox_State_NextAttemptAtMs",
                table: "Outbox",
                columns: new[] { "State", "NextAttemptAtMs" });
            // The audit trail is append-only: the database itself refuses UPDATE, DELETE and TRUNCATE (issue #8).
            migrationBuilder.Sql("CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit rows are append-only'; END $$;");
            migrationBuilder.Sql("CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON \"Audit\" FOR EACH ROW EXECUTE FUNCTION audit_append_only();");
            migrationBuilder.Sql("CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON \"Audit\" FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_no_update_delete ON \"Audit\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_no_truncate ON \"Audit\";");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS audit_append_only();");
            migrationBuilder.DropTable(
                name: "Audit");

            migrationBuilder.DropTable(
                name: "Job");

            migrationBuilder.DropTable(
                name: "Outbox");
        }
    }
}
