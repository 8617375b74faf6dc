-- One database per service (each service owns its schema and runs its own migrations).
CREATE DATABASE hazard_api OWNER duban;
CREATE DATABASE escalation OWNER duban;
CREATE DATABASE notification OWNER duban;
CREATE DATABASE reporting OWNER duban;
