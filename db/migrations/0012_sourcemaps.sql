CREATE TABLE "source_map_artifacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"app" text NOT NULL,
	"release" text NOT NULL,
	"bundle_url" text NOT NULL,
	"bundle_path" text NOT NULL,
	"debug_id" text,
	"r2_key" text NOT NULL,
	"sha256" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"uploaded_by" uuid,
	"uploaded_by_key_id" uuid,
	CONSTRAINT "source_map_artifacts_bundle_unique" UNIQUE("project_id","app","release","bundle_url")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "scopes" text[] DEFAULT '{"ingest"}' NOT NULL;--> statement-breakpoint
ALTER TABLE "source_map_artifacts" ADD CONSTRAINT "source_map_artifacts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_map_artifacts" ADD CONSTRAINT "source_map_artifacts_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "source_map_artifacts_lookup_idx" ON "source_map_artifacts" USING btree ("project_id","app","release","bundle_path");