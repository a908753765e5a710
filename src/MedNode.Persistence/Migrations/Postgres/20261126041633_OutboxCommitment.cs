using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MedNode.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class OutboxCommitment : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Committed",
                table: "Outbox");

            migrationBuilder.AddColumn<int>(
                name: "Commitment",
                table: "Outbox",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "CommitmentFailureReason",
                table: "Outbox",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CommitmentRequestedAtMs",
                table: "Outbox",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CommitmentTransactionUid",
                table: "Outbox",
                type: "text",
                nullable: true,
                collation: "C");

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
                name: "CommitmentRequestedAtMs",
                table: "Outbox");

            migrationBuilder.DropColumn(
                name: "CommitmentTransactionUid",
                table: "Outbox");

            migrationBuilder.AddColumn<bool>(
                name: "Committed",
                table: "Outbox",
                type: "boolean",
                nullable: true);
        }
    }
}
