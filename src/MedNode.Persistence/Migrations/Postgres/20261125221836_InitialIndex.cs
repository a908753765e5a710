using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MedNode.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InitialIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Instance",
                columns: table => new
                {
                    SopInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    SopClassUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    SeriesInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    StudyInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    PatientId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    PatientName = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    PatientNameKey = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    PatientBirthDate = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    PatientSex = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    StudyDate = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    StudyTime = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    AccessionNumber = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    StudyId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    StudyDescription = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ReferringPhysicianName = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ReferringPhysicianNameKey = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Modality = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    SeriesNumber = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    SeriesDescription = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    BodyPartExamined = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    InstanceNumber = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Rows = table.Column<int>(type: "integer", nullable: true),
                    Columns = table.Column<int>(type: "integer", nullable: true),
                    NumberOfFrames = table.Column<int>(type: "integer", nullable: true),
                    SpecificCharacterSet = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    TransferSyntaxUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    BlobKey = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    Sha256 = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    CallingAeTitle = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Channel = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ReceivedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Instance", x => x.SopInstanceUid);
                });

            migrationBuilder.CreateTable(
                name: "Series",
                columns: table => new
                {
                    SeriesInstanceUid = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    StudyInstanceUid = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    NumberOfSeriesRelatedInstances = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Series", x => x.SeriesInstanceUid);
                });

            migrationBuilder.CreateTable(
                name: "Study",
                columns: table => new
                {
                    StudyInstanceUid = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    PatientId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    NumberOfStudyRelatedSeries = table.Column<int>(type: "integer", nullable: false),
                    NumberOfStudyRelatedInstances = table.Column<int>(type: "integer", nullable: false),
                    ModalitiesInStudy = table.Column<string>(type: "text", nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Study", x => x.StudyInstanceUid);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Instance_AccessionNumber",
                table: "Instance",
                column: "AccessionNumber");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_PatientId",
                table: "Instance",
                column: "PatientId");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_PatientNameKey",
                table: "Instance",
                column: "PatientNameKey");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_SeriesInstanceUid",
                table: "Instance",
                column: "SeriesInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_StudyDate",
                table: "Instance",
                column: "StudyDate");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_StudyInstanceUid",
                table: "Instance",
                column: "StudyInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_Series_StudyInstanceUid",
                table: "Series",
                column: "StudyInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_Study_PatientId",
                table: "Study",
                column: "PatientId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Instance");

            migrationBuilder.DropTable(
                name: "Series");

            migrationBuilder.DropTable(
                name: "Study");
        }
    }
}
