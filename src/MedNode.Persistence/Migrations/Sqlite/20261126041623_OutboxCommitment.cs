using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MedNode.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class OutboxCommitment : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Committed (never written before this migration) gives way to the commitment state columns.
            migrationBuilder.DropColumn(
                name: "Committed",
                table: "Outbox");

            migrationBuilder.AddColumn<long>(
                name: "CommitmentRequestedAtMs",
                table: "Outbox",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Commitment",
                table: "Outbox",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "CommitmentFailureReason",
                table: "Outbox",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CommitmentTransactionUid",
                table: "Outbox",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Outbox_Commitment",
                table: "Outbox",
                column: "Commitment");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Outbox_Commitment",
                table: "Outbox");

            migrationBuilder.DropColumn(
                name: "Commitment",
                table: "Outbox");

            migrationBuilder.DropColumn(
                name: "CommitmentFailureReason",
                table: "Outbox");

            migrationBuilder.DropColumn(
                name: "CommitmentTransactionUid",
                table: "Outbox");

            migrationBuilder.DropColumn(
                name: "CommitmentRequestedAtMs",
                table: "Outbox");

            migrationBuilder.AddColumn<bool>(
                name: "Committed",
                table: "Outbox",
                type: "INTEGER",
                nullable: true);
        }
    }
}
