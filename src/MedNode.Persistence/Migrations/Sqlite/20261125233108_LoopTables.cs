using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MedNode.Persistence.Migrations.Sqlite
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
                    Sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    TimeUtcTicks = table.Column<long>(type: "INTEGER", nullable: false),
                    EventCode = table.Column<string>(type: "TEXT", nullable: false),
                    EventScheme = table.Column<string>(type: "TEXT", nullable: false),
                    Action = table.Column<string>(type: "TEXT", nullable: false),
                    Outcome = table.Column<int>(type: "INTEGER", nullable: false),
                    Participants = table.Column<string>(type: "TEXT", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "TEXT", nullable: true),
                    PatientId = table.Column<string>(type: "TEXT", nullable: true),
                    Detail = table.Column<string>(type: "TEXT", nullable: true),
                    PreviousHash = table.Column<string>(type: "TEXT", nullable: false),
                    Hash = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Audit", x => x.Sequence);
                });

            migrationBuilder.CreateTable(
                name: "Job",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    IdempotencyKey = table.Column<string>(type: "TEXT", nullable: false),
                    UnitKey = table.Column<string>(type: "TEXT", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "TEXT", nullable: false),
                    SeriesInstanceUid = table.Column<string>(type: "TEXT", nullable: true),
                    Inputs = table.Column<string>(type: "TEXT", nullable: false),
                    ModelId = table.Column<string>(type: "TEXT", nullable: false),
                    ModelSha256 = table.Column<string>(type: "TEXT", nullable: false),
                    RuleName = table.Column<string>(type: "TEXT", nullable: true),
                    Destinations = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    Error = table.Column<string>(type: "TEXT", nullable: true),
                    LeaseOwner = table.Column<string>(type: "TEXT", nullable: true),
                    LeaseExpiresAtMs = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAtMs = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAtMs = table.Column<long>(type: "INTEGER", nullable: false),
                    StageTimings = table.Column<string>(type: "TEXT", nullable: false),
                    ResultJson = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Job", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Outbox",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    JobId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Destination = table.Column<string>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    SopClassUid = table.Column<string>(type: "TEXT", nullable: false),
                    SopInstanceUid = table.Column<string>(type: "TEXT", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "TEXT", nullable: false),
                    BlobKey = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    NextAttemptAtMs = table.Column<long>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", nullable: true),
                    DeliveredAtMs = table.Column<long>(type: "INTEGER", nullable: true),
                    Committed = table.Column<bool>(type: "INTEGER", nullable: true)
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
            // The audit trail is append-only: the database itself refuses UPDATE and DELETE (issue #8).
            migrationBuilder.Sql("CREATE TRIGGER audit_no_update BEFORE UPDATE ON Audit BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;");
            migrationBuilder.Sql("CREATE TRIGGER audit_no_delete BEFORE DELETE ON Audit BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_no_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_no_delete;");
            migrationBuilder.DropTable(
                name: "Audit");

            migrationBuilder.DropTable(
                name: "Job");

            migrationBuilder.DropTable(
                name: "Outbox");
        }
    }
}
