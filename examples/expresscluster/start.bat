rem ***************************************************************
rem * start.bat - EXPRESSCLUSTER EXEC resource (Windows): move the
rem *             VIP routes to this server when the group starts.
rem ***************************************************************
rem vipctl exit codes: 0 converged, 3 DEGRADED (accepted, logged), 1 failed,
rem 2 configuration error, 4 AWS unreachable.
rem --direct-when-unavailable: if Step Functions cannot start the run in any cluster
rem region, this server runs the same tasks itself with EC2 calls only (see start.sh).

if "%VIPCTL%"=="" set VIPCTL=vipctl
if "%VIPCTL_CONFIG%"=="" set VIPCTL_CONFIG=C:\Program Files\EXPRESSCLUSTER\scripts\vipctl\cluster.yaml
if "%VIPCTL_TIMEOUT%"=="" set VIPCTL_TIMEOUT=150

if "%CLP_EVENT%"=="START" goto FAILOVER
if "%CLP_EVENT%"=="FAILOVER" goto FAILOVER
if "%CLP_EVENT%"=="RECOVER" goto FAILOVER
if "%CLP_EVENT%"=="" goto FAILOVER
exit /b 0

:FAILOVER
call %VIPCTL% --config "%VIPCTL_CONFIG%" failover --to self --timeout %VIPCTL_TIMEOUT% --direct-when-unavailable --reason "EXPRESSCLUSTER %CLP_EVENT% of %CLP_GROUPNAME%"
set RC=%ERRORLEVEL%
if %RC%==0 goto OK
if %RC%==3 goto DEGRADED
clplogcmd -m "vipctl: failover failed (exit %RC%); see vipctl show --last" -l ERR
exit /b 1

:DEGRADED
clplogcmd -m "vipctl: VIP routes DEGRADED: this region converged, another region unreachable" -l WARN
exit /b 0

:OK
clplogcmd -m "vipctl: VIP routes now reach this server" -l INFO
exit /b 0
