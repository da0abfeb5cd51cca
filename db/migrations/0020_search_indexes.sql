CREATE INDEX "event_counts_hourly_name_trgm_idx" ON "event_counts_hourly" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "event_counts_hourly_project_name_idx" ON "event_counts_hourly" USING btree ("project_id","name","hour");--> statement-breakpoint
CREATE INDEX "event_counts_hourly_by_scope_name_trgm_idx" ON "event_counts_hourly_by_scope" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "event_counts_hourly_by_scope_env_name_idx" ON "event_counts_hourly_by_scope" USING btree ("project_id","environment","name","hour");--> statement-breakpoint
CREATE INDEX "release_counts_hourly_release_trgm_idx" ON "release_counts_hourly" USING gin ("release" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "release_users_daily_release_user_idx" ON "release_users_daily" USING btree ("project_id","release","user_key","day");--> statement-breakpoint
CREATE INDEX "release_users_daily_user_release_idx" ON "release_users_daily" USING btree ("project_id","user_key","release","day");--> statement-breakpoint
CREATE INDEX "session_users_daily_user_key_trgm_idx" ON "session_users_daily" USING gin ("user_key" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "session_users_daily_project_user_idx" ON "session_users_daily" USING btree ("project_id","user_key","day");--> statement-breakpoint
CREATE INDEX "session_users_daily_by_scope_user_key_trgm_idx" ON "session_users_daily_by_scope" USING gin ("user_key" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "session_users_daily_by_scope_env_user_idx" ON "session_users_daily_by_scope" USING btree ("project_id","environment","user_key","day");--> statement-breakpoint
CREATE INDEX "error_group_users_user_key_idx" ON "error_group_users" USING btree ("user_key");--> statement-breakpoint
CREATE INDEX "error_groups_message_trgm_idx" ON "error_groups" USING gin ("message" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "error_groups_type_trgm_idx" ON "error_groups" USING gin ("type" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "error_groups_fingerprint_trgm_idx" ON "error_groups" USING gin ("fingerprint" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "sessions_session_id_trgm_idx" ON "sessions" USING gin ("session_id" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "sessions_project_user_key_started_idx" ON "sessions" USING btree ("project_id",coalesce("user_id", "anonymous_id"),"started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "sessions_project_release_started_idx" ON "sessions" USING btree ("project_id","release","started_at" DESC NULLS LAST);