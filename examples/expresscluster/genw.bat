rem ***************************************************************
rem * genw.bat - EXPRESSCLUSTER custom monitor (Windows): do the VIP
rem *            routes reach this server? 0 normal, 1 error; an AWS
rem *            API outage (exit 4) is a warning, not a failover.
rem ***************************************************************
if "%VIPCTL%"=="" set VIPCTL=vipctl
if "%VIPCTL_CONFIG%"=="" set VIPCTL_CONFIG=C:\Program Files\EXPRESSCLUSTER\scripts\vipctl\cluster.yaml

set HOSTCHECK=
if "%VIPCTL_HOST_CHECK%"=="0" set HOSTCHECK=--no-host-check
call %VIPCTL% --config "%VIPCTL_CONFIG%" check --active self %HOSTCHECK%
set RC=%ERRORLEVEL%
if %RC%==0 exit /b 0
if %RC%==4 goto UNREACHABLE
clplogcmd -m "vipctl: VIP routes do not reach this server, or the VIP is not on it (exit %RC%)" -l ERR
exit /b 1

:UNREACHABLE
clplogcmd -m "vipctl: AWS API unreachable: VIP routes could not be checked" -l WARN
exit /b 0
