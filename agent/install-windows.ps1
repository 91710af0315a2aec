# mgn-wave: on a Windows source server, prove the private path to MGN and S3, then (Mode=install)
# download the AWS Replication Agent installer through the S3 interface endpoint, check its
# SHA-512 and run it. SSM Run Command runs this as SYSTEM (document step InstallOnWindows).
#
# The same contract as install-linux.sh: parameters arrive ONLY as environment variables
# SSM_<Name> (interpolationType ENV_VAR, SSM Agent 3.3.2746.0 and later); the document never uses
# textual substitution; every value is checked again here against the same allow-list before use;
# the last line of output is `MGN_WAVE_RESULT {json}`. Exit status 0 for PROBE_OK and INSTALLED.
#
# Not executed by the emulated fleet (no PowerShell there): the static tests read it.

Set-StrictMode -Version 3.0
Set-PSDebug -Off  # never trace: the credentials pass through variables below
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# HTTPS with TLS 1.2 or later, certificates verified (nothing here turns verification off). The
# protocols are SET, not added to: whatever the machine enabled before (SSL 3, TLS 1.0, 1.1) is off
# for this process, so TLS 1.2 is the minimum. TLS 1.3 stays allowed where .NET knows it.
$tlsProtocols = [Net.SecurityProtocolType]::Tls12
if ([Enum]::GetNames([Net.SecurityProtocolType]) -contains 'Tls13') {
    $tlsProtocols = $tlsProtocols -bor [Net.SecurityProtocolType]'Tls13'
}
[Net.ServicePointManager]::SecurityProtocol = $tlsProtocols

$ResultMarker = 'MGN_WAVE_RESULT'
$InstallerName = 'AwsReplicationWindowsInstaller.exe'
$TcpTimeoutMilliseconds = 5000
$OutputTailLines = 20
$MaxEchoChars = 200
$MaxValueChars = 8192
$MaxFindings = 16
$HostsBegin = '# BEGIN mgn-wave'
$HostsEnd = '# END mgn-wave'

# Allow-lists: verbatim copies of functions/mgn_wave/install/parameters.py (a static test holds
# them equal). .NET's `$` also matches before a final newline, so control characters are refused
# before any pattern runs.
$Ipv4Pattern = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$'
$NodeIdPattern = '^(i-([0-9a-f]{8}|[0-9a-f]{17})|mi-[0-9a-f]{17})$'
$Patterns = [ordered]@{
    Mode            = '^(probe|install)$'
    Region          = '^[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}$'
    S3Endpoint      = '^vpce-[0-9a-f]{8,17}-[a-z0-9]{8}\.s3\.[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}\.vpce\.amazonaws\.com(\.cn)?$'
    S3EndpointForm  = '^(installer-bucket|bucket|regional)$'
    MgnEndpoint     = '^(vpce-[0-9a-f]{8,17}-[a-z0-9]{8}\.mgn\.[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}\.vpce\.amazonaws\.com(\.cn)?)?$'
    HostsEntries    = '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3} ([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.){1,6}amazonaws\.com(\.cn)?(,(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3} ([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.){1,6}amazonaws\.com(\.cn)?){0,7})?$'
    UserProvidedId  = '^((i-([0-9a-f]{8}|[0-9a-f]{17})|mi-[0-9a-f]{17}))?$'
    WaveTags        = '^([A-Za-z0-9][A-Za-z0-9_.:/+@-]{0,127}=[A-Za-z0-9_.:/+@-]{0,255}( [A-Za-z0-9][A-Za-z0-9_.:/+@-]{0,127}=[A-Za-z0-9_.:/+@-]{0,255}){0,9})?$'
    ProbeHosts      = '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?){1,7}(,[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?){1,7}){0,7})?$'
    ExpectedCidrs   = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}/([0-9]|[12][0-9]|3[0-2])(,(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}/([0-9]|[12][0-9]|3[0-2])){0,7}$'
    MinFreeDiskMiB  = '^(0|[1-9][0-9]{0,6})$'
    AccessKeyId     = '^(ASIA[A-Z0-9]{16})?$'
    SecretAccessKey = '^([A-Za-z0-9/+]{40})?$'
    SessionToken    = '^([A-Za-z0-9/+=]{16,})?$'
}

$Findings = New-Object System.Collections.Generic.List[object]
$Secrets = @()
$Script:ResultEmitted = $false
$Script:Mode = ''

function Add-Finding([string]$Code, [string]$Detail) {
    $Findings.Add([ordered]@{ code = $Code; detail = $Detail.Substring(0, [Math]::Min(160, $Detail.Length)) })
}

function Format-Line([string]$Line) {
    foreach ($secret in $Secrets) {
        if ($secret) { $Line = $Line.Replace($secret, '[REDACTED]') }
    }
    $Line = $Line -replace '[^\x20-\x7E]', '?'
    return '| ' + $Line.Substring(0, [Math]::Min($MaxEchoChars, $Line.Length))
}

function Write-Result([string]$Status, [string]$Reason, [string]$ServerId = '') {
    if ($Script:ResultEmitted) { return }
    $Script:ResultEmitted = $true
    $result = [ordered]@{ v = 1; status = $Status }
    if ($ServerId) { $result.sourceServerId = $ServerId }
    $result.findings = @($Findings | Select-Object -First $MaxFindings)
    $result.reason = $Reason.Substring(0, [Math]::Min(300, $Reason.Length)) -replace '[^\x20-\x7E]', ' '
    Write-Output ($ResultMarker + ' ' + (ConvertTo-Json -InputObject $result -Compress -Depth 4))
}

function Complete-Run([string]$Status, [string]$Reason, [string]$ServerId = '') {
    Write-Result $Status $Reason $ServerId
    if ($Status -eq 'PROBE_OK' -or $Status -eq 'INSTALLED') { exit 0 }
    exit 1
}

function Read-Parameter([string]$Name) {
    $value = [Environment]::GetEnvironmentVariable("SSM_$Name")
    if ($null -eq $value) {
        if ($Name -eq 'S3EndpointForm') { return 'installer-bucket' }  # the document's default
        return ''
    }
    return $value
}

# Check one value against its allow-list; the value itself is never shown.
function Test-AllowListed([string]$Name, [string]$Value) {
    if ($Value.Length -le $MaxValueChars -and $Value -notmatch '[\x00-\x1F\x7F]' -and $Value -cmatch $Patterns[$Name]) {
        return $true
    }
    Add-Finding 'PARAMETER_REJECTED' "$Name does not match its allow-list (value not shown)"
    return $false
}

# Unsigned 64-bit throughout: PowerShell reads the literal 0xFFFFFFFF as the Int32 -1.
function ConvertTo-Number([string]$Address) {
    $octets = $Address.Split('.')
    return ([uint64]$octets[0] -shl 24) -bor ([uint64]$octets[1] -shl 16) -bor ([uint64]$octets[2] -shl 8) -bor [uint64]$octets[3]
}

function Test-InsideCidrs([string]$Address, [string[]]$Cidrs) {
    $number = ConvertTo-Number $Address
    foreach ($cidr in $Cidrs) {
        $network, $bits = $cidr.Split('/')
        $all = [uint64]4294967295
        $mask = if ([int]$bits -eq 0) { [uint64]0 } else { ($all -shl (32 - [int]$bits)) -band $all }
        if (($number -band $mask) -eq ((ConvertTo-Number $network) -band $mask)) { return $true }
    }
    return $false
}

function Get-CidrMask([int]$Bits) {
    $all = [uint64]4294967295
    if ($Bits -eq 0) { return [uint64]0 }
    return ($all -shl (32 - $Bits)) -band $all
}

# A network address: no host bits set.
function Test-CanonicalCidr([string]$Cidr) {
    $network, $bits = $Cidr.Split('/')
    $number = ConvertTo-Number $network
    return $number -eq ($number -band (Get-CidrMask ([int]$bits)))
}

# Inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (PRIVATE_NETWORKS in parameters.py).
function Test-PrivateCidr([string]$Cidr) {
    $network, $bits = $Cidr.Split('/')
    foreach ($range in @('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')) {
        $rangeBits = [int]($range.Split('/')[1])
        if ([int]$bits -ge $rangeBits -and (Test-InsideCidrs $network @($range))) { return $true }
    }
    return $false
}

# The hosts file's text and encoding: a byte order mark names it; without one it is the system's
# ANSI code page, as Notepad and the Windows tools write it. Rewriting keeps both.
function Read-HostsFile([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return @{ Text = ''; Encoding = [Text.Encoding]::Default } }
    $bytes = [IO.File]::ReadAllBytes($Path)
    $encoding = [Text.Encoding]::Default
    $skip = 0
    if ($bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF) {
        $encoding = New-Object Text.UTF8Encoding($true); $skip = 3
    } elseif ($bytes.Length -ge 2 -and $bytes[0] -eq 0xFF -and $bytes[1] -eq 0xFE) {
        $encoding = New-Object Text.UnicodeEncoding($false, $true); $skip = 2
    } elseif ($bytes.Length -ge 2 -and $bytes[0] -eq 0xFE -and $bytes[1] -eq 0xFF) {
        $encoding = New-Object Text.UnicodeEncoding($true, $true); $skip = 2
    }
    return @{ Text = $encoding.GetString($bytes, $skip, $bytes.Length - $skip); Encoding = $encoding }
}

# The lines without our block(s), every other line that names a pinned host disarmed: the name is
# taken off the line, which is kept above as a comment, so the pin is the only answer. $null (and
# the line number in $Script:MarkerLine): a BEGIN without its END or the reverse, where no one can
# tell which lines are ours.
function Get-HostsWithoutBlock([string[]]$Lines, [hashtable]$Pins) {
    $kept = New-Object System.Collections.Generic.List[string]
    $inside = $false
    $opened = 0
    for ($index = 0; $index -lt $Lines.Count; $index++) {
        $line = $Lines[$index]
        if ($line -ceq $HostsBegin) {
            if ($inside) { $Script:MarkerLine = $index + 1; return $null }
            $inside = $true; $opened = $index + 1; continue
        }
        if ($line -ceq $HostsEnd) {
            if (-not $inside) { $Script:MarkerLine = $index + 1; return $null }
            $inside = $false; continue
        }
        if ($inside) { continue }
        $code = ($line -split '#', 2)[0].Trim()
        if ($line.TrimStart().StartsWith('#') -or -not $code) { $kept.Add($line); continue }
        $fields = @($code -split '\s+')
        $others = @($fields | Select-Object -Skip 1 | Where-Object { -not $Pins.ContainsKey($_) })
        if ($others.Count -eq $fields.Count - 1) { $kept.Add($line); continue }
        $kept.Add("# mgn-wave disarmed: $line")
        if ($others.Count -gt 0) { $kept.Add((@($fields[0]) + $others) -join ' ') }
    }
    if ($inside) { $Script:MarkerLine = $opened; return $null }
    return , $kept.ToArray()
}

function Resolve-Ipv4([string]$Name, [hashtable]$Pins) {
    if ($Pins.ContainsKey($Name)) { return @($Pins[$Name]) }
    try {
        $addresses = [System.Net.Dns]::GetHostAddresses($Name) |
            Where-Object { $_.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetwork } |
            ForEach-Object { $_.IPAddressToString }
    } catch {
        return @()
    }
    return @($addresses | Where-Object { $_ -cmatch $Ipv4Pattern } | Sort-Object -Unique)
}

function Test-Tcp443([string]$Address) {
    $client = New-Object System.Net.Sockets.TcpClient
    try {
        $connect = $client.ConnectAsync($Address, 443)
        return ($connect.Wait($TcpTimeoutMilliseconds) -and $client.Connected)
    } catch {
        return $false
    } finally {
        $client.Dispose()
    }
}

function Invoke-Download([string]$Url, [string]$Destination) {
    # Invoke-WebRequest verifies the certificate; HTTPS only.
    if (-not $Url.StartsWith('https://')) { throw 'only https downloads are allowed' }
    Invoke-WebRequest -Uri $Url -OutFile $Destination -UseBasicParsing -MaximumRedirection 0 -TimeoutSec 600
}

$workdir = $null
try {
    # --- parameters ---
    if ($null -eq [Environment]::GetEnvironmentVariable('SSM_Mode')) {
        Add-Finding 'SOURCE_SSM_AGENT_TOO_OLD' 'SSM_Mode is not set: the SSM Agent predates 3.3.2746.0 (no ENV_VAR parameters)'
        Complete-Run 'PARAMETERS_REJECTED' "a parameter failed this node's allow-list; nothing was run"
    }
    $values = @{}
    foreach ($name in $Patterns.Keys) { $values[$name] = Read-Parameter $name }
    foreach ($name in @('AccessKeyId', 'SecretAccessKey', 'SessionToken')) {
        # Out of the environment, so that no child process inherits the credentials.
        [Environment]::SetEnvironmentVariable("SSM_$name", $null)
    }
    $ok = $true
    foreach ($name in $Patterns.Keys) {
        if (-not (Test-AllowListed $name $values[$name])) { $ok = $false }
    }
    if (-not $ok) { Complete-Run 'PARAMETERS_REJECTED' "a parameter failed this node's allow-list; nothing was run" }
    $Secrets = @($values.AccessKeyId, $values.SecretAccessKey, $values.SessionToken)
    $Script:Mode = $values.Mode
    if ($values.Mode -eq 'install' -and -not ($values.AccessKeyId -and $values.SecretAccessKey -and $values.SessionToken)) {
        Add-Finding 'PARAMETER_REJECTED' 'install mode needs AccessKeyId, SecretAccessKey and SessionToken'
        Complete-Run 'PARAMETERS_REJECTED' "a parameter failed this node's allow-list; nothing was run"
    }
    # Empty: this node's own ID, which the SSM Agent gives every command it runs.
    $userProvidedId = $values.UserProvidedId
    if (-not $userProvidedId) {
        $userProvidedId = [Environment]::GetEnvironmentVariable('AWS_SSM_INSTANCE_ID')
        if ($values.Mode -eq 'install' -and ($null -eq $userProvidedId -or $userProvidedId -cnotmatch $NodeIdPattern)) {
            Add-Finding 'PARAMETER_REJECTED' 'UserProvidedId is empty and AWS_SSM_INSTANCE_ID is not a node ID'
            Complete-Run 'PARAMETERS_REJECTED' "a parameter failed this node's allow-list; nothing was run"
        }
    }
    # The rules that span parameters, as the Lambda checks them: the document run by hand from the
    # console reaches only this script, and SSM's allowedPattern sees one value at a time.
    $cidrList = @($values.ExpectedCidrs.Split(',') | Where-Object { $_ })
    foreach ($cidr in $cidrList) {
        if (-not (Test-CanonicalCidr $cidr)) {
            Add-Finding 'PARAMETER_REJECTED' "ExpectedCidrs: $cidr is not a network address (host bits set)"
        } elseif (-not (Test-PrivateCidr $cidr)) {
            Add-Finding 'PARAMETER_REJECTED' "ExpectedCidrs: $cidr is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        }
    }
    $seenNames = @{}
    foreach ($entry in @($values.HostsEntries.Split(',') | Where-Object { $_ })) {
        $pinAddress, $pinName = $entry.Split(' ')
        if (-not (Test-InsideCidrs $pinAddress $cidrList)) {
            Add-Finding 'PARAMETER_REJECTED' "HostsEntries: $pinName must point inside ExpectedCidrs, not at $pinAddress"
        }
        if ($seenNames.ContainsKey($pinName)) {
            Add-Finding 'PARAMETER_REJECTED' "HostsEntries: must name each host once ($pinName is pinned twice)"
        }
        $seenNames[$pinName] = $true
    }
    if ($Findings.Count -gt 0) { Complete-Run 'PARAMETERS_REJECTED' "a parameter failed this node's allow-list; nothing was run" }

    $region = $values.Region
    $s3Endpoint = $values.S3Endpoint
    $mgnEndpoint = $values.MgnEndpoint
    $minFreeMiB = [int64]$values.MinFreeDiskMiB
    $cidrs = @($values.ExpectedCidrs.Split(',') | Where-Object { $_ })
    $pins = @{}
    $hostsLines = @()
    foreach ($entry in @($values.HostsEntries.Split(',') | Where-Object { $_ })) {
        $address, $hostName = $entry.Split(' ')
        $pins[$hostName] = $address
        $hostsLines += "$address $hostName"
    }
    $tags = @($values.WaveTags.Split(' ') | Where-Object { $_ })
    $installerHost = "aws-application-migration-service-$region.bucket.$s3Endpoint"
    $hashesHost = "aws-application-migration-service-hashes-$region.bucket.$s3Endpoint"
    # The installer's --s3-endpoint in the form S3EndpointForm names; the probe resolves this very name.
    $installerS3Endpoint = switch ($values.S3EndpointForm) {
        'bucket' { "bucket.$s3Endpoint" }
        'regional' { $s3Endpoint }
        default { $installerHost }
    }
    $mgnHost = if ($mgnEndpoint) { $mgnEndpoint } else { "mgn.$region.amazonaws.com" }

    # --- the probe ---
    $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
    if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
        Add-Finding 'SOURCE_NOT_ROOT' 'the installer must run as an administrator (SSM runs as SYSTEM)'
    }
    $systemDrive = New-Object System.IO.DriveInfo($env:SystemDrive)
    $freeMiB = [int64]($systemDrive.AvailableFreeSpace / (1MB))
    if ($freeMiB -lt $minFreeMiB) {
        Add-Finding 'SOURCE_DISK_LOW' "$($env:SystemDrive) has $freeMiB MiB free; $minFreeMiB MiB needed"
    }
    $probeHosts = @($values.ProbeHosts.Split(',') | Where-Object { $_ }) + @($installerHost, $hashesHost, $installerS3Endpoint, $mgnHost)
    foreach ($probeHost in @($probeHosts | Select-Object -Unique)) {
        $addresses = @(Resolve-Ipv4 $probeHost $pins)
        if ($addresses.Count -eq 0) {
            Add-Finding 'SOURCE_DNS_UNRESOLVED' "$probeHost has no IPv4 address"
            continue
        }
        $outside = @($addresses | Where-Object { -not (Test-InsideCidrs $_ $cidrs) })
        $blocked = @($addresses | Where-Object { (Test-InsideCidrs $_ $cidrs) -and -not (Test-Tcp443 $_) })
        if ($outside.Count -gt 0) {
            Add-Finding 'SOURCE_DNS_NOT_PRIVATE' "$probeHost resolves to $($outside -join ' '), outside $($cidrs -join ' ')"
        }
        if ($blocked.Count -gt 0) {
            Add-Finding 'SOURCE_443_BLOCKED' "${probeHost}: no TCP 443 connection to $($blocked -join ' ') within 5 s"
        }
    }
    if ($Findings.Count -gt 0) {
        Complete-Run 'PROBE_FAILED' ('the private path is not ready: ' + (($Findings | ForEach-Object { $_.code }) -join ' '))
    }
    if ($values.Mode -eq 'probe') { Complete-Run 'PROBE_OK' 'DNS, TCP 443, disk and administrator rights are ready for the install' }

    # --- hosts entries: one marked block, replaced in place; every change keeps a dated backup ---
    if ($hostsLines.Count -gt 0) {
        $hostsFile = Join-Path $env:SystemRoot 'System32\drivers\etc\hosts'
        $hosts = Read-HostsFile $hostsFile
        $newline = if ($hosts.Text.Contains("`r`n")) { "`r`n" } else { "`n" }
        $current = @($hosts.Text -split "`r?`n")
        if ($current.Count -gt 0 -and $current[-1] -eq '') { $current = @($current | Select-Object -SkipLast 1) }
        $kept = Get-HostsWithoutBlock $current $pins
        if ($null -eq $kept) {
            Complete-Run 'INSTALL_FAILED' "$hostsFile line $($Script:MarkerLine) has a '$HostsBegin' or '$HostsEnd' marker without its pair; nothing was changed: fix or remove the marker by hand"
        }
        $desired = @($kept) + @($HostsBegin) + $hostsLines + @($HostsEnd)
        $backup = ''
        if (($desired -join "`n") -cne ($current -join "`n")) {
            if (Test-Path -LiteralPath $hostsFile) {
                $backup = "$hostsFile.mgn-wave.$([DateTime]::UtcNow.ToString('yyyyMMddTHHmmssZ')).bak"
                if (Test-Path -LiteralPath $backup) { $backup = $backup -replace '\.bak$', "-$PID.bak" }
                Copy-Item -LiteralPath $hostsFile -Destination $backup
            }
            # Rewritten in place with its own encoding and line ends (the file keeps its ACL).
            [IO.File]::WriteAllText($hostsFile, (($desired -join $newline) + $newline), $hosts.Encoding)
            Write-Output "hosts: wrote $($hostsLines.Count) entries to $hostsFile (backup $backup)"
        }
        # Each pinned name must now resolve to its pin and nothing else; otherwise put the file back.
        if (Get-Command -Name Clear-DnsClientCache -ErrorAction SilentlyContinue) { Clear-DnsClientCache }
        foreach ($pinName in @($pins.Keys)) {
            $answer = @(Resolve-Ipv4 $pinName @{})
            if ($answer.Count -ne 1 -or $answer[0] -ne $pins[$pinName]) {
                Add-Finding 'SOURCE_DNS_NOT_PRIVATE' "$pinName resolves to $($answer -join ' ') despite the pin $($pins[$pinName]) in $hostsFile"
            }
        }
        if ($Findings.Count -gt 0) {
            $reason = 'the hosts entries do not decide what the pinned names resolve to'
            if ($backup) {
                # rewritten in place from the backup, bytes as they were: the file keeps its ACL
                [IO.File]::WriteAllBytes($hostsFile, [IO.File]::ReadAllBytes($backup))
                $reason += "; $hostsFile was put back as it was"
            }
            Complete-Run 'PROBE_FAILED' $reason
        }
    }

    # --- download and verify ---
    $workdir = Join-Path ([System.IO.Path]::GetTempPath()) ('mgn-wave.' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $workdir | Out-Null
    # Only SYSTEM and the Administrators: no inherited entries from the temp folder, so no other
    # local user can read, swap or plant the installer between its check and its run.
    $workdirAcl = Get-Acl -LiteralPath $workdir
    $workdirAcl.SetAccessRuleProtection($true, $false)
    foreach ($inherited in @($workdirAcl.Access)) { [void]$workdirAcl.RemoveAccessRule($inherited) }
    foreach ($sid in @('S-1-5-18', 'S-1-5-32-544')) {
        $identity = New-Object System.Security.Principal.SecurityIdentifier($sid)
        $rule = New-Object System.Security.AccessControl.FileSystemAccessRule($identity, 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')
        $workdirAcl.AddAccessRule($rule)
    }
    Set-Acl -LiteralPath $workdir -AclObject $workdirAcl
    $installer = Join-Path $workdir $InstallerName
    $hashFile = "$installer.sha512"
    try {
        Invoke-Download "https://$installerHost/latest/windows/$InstallerName" $installer
        Invoke-Download "https://$hashesHost/latest/windows/$InstallerName.sha512" $hashFile
    } catch {
        Complete-Run 'DOWNLOAD_FAILED' (Format-Line "could not download the installer or its SHA-512: $($_.Exception.Message)").Substring(2)
    }
    $expected = ((Get-Content -LiteralPath $hashFile -TotalCount 1).Trim() -split '\s+')[0].ToLowerInvariant()
    if ($expected -cnotmatch '^[0-9a-f]{128}$') { Complete-Run 'DOWNLOAD_FAILED' 'the published SHA-512 is not 128 hex digits' }
    $actual = (Get-FileHash -Algorithm SHA512 -LiteralPath $installer).Hash.ToLowerInvariant()
    if ($actual -cne $expected) {
        Remove-Item -LiteralPath $installer -Force
        Complete-Run 'CHECKSUM_MISMATCH' "the installer's SHA-512 differs from the published one; it was deleted and not run"
    }

    # --- install: arguments as an array to the call operator, never a command string ---
    $arguments = @(
        '--region', $region,
        '--aws-access-key-id', $values.AccessKeyId,
        '--aws-secret-access-key', $values.SecretAccessKey,
        '--aws-session-token', $values.SessionToken,
        '--no-prompt',
        '--s3-endpoint', $installerS3Endpoint,
        '--user-provided-id', $userProvidedId
    )
    if ($mgnEndpoint) { $arguments += @('--endpoint', $mgnEndpoint) }
    if ($tags.Count -gt 0) { $arguments += @('--tags') + $tags }
    $installLog = Join-Path $workdir 'installer.log'
    # PowerShell 5.1 turns each stderr line of a native program into an error record, which
    # 'Stop' would make fatal; the installer's exit code and output decide instead.
    $ErrorActionPreference = 'Continue'
    try {
        & $installer @arguments *> $installLog
        $exitCode = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = 'Stop'
    }
    $arguments = $null
    Write-Output "install: installer exited $exitCode; its last $OutputTailLines lines:"
    $output = @(Get-Content -LiteralPath $installLog -ErrorAction SilentlyContinue)
    $output | Select-Object -Last $OutputTailLines | ForEach-Object { Write-Output (Format-Line $_) }
    $idLine = @($output | Where-Object { $_ -match 'source server ID' } | Select-Object -Last 1)
    $serverId = ''
    if ($idLine.Count -gt 0 -and $idLine[0] -cmatch '(s-[0-9a-zA-Z]{17})') { $serverId = $Matches[1] }
    if ($exitCode -eq 0 -and $serverId) { Complete-Run 'INSTALLED' 'the AWS Replication Agent is installed' $serverId }
    $lastError = @($output | Where-Object { $_ -match 'error|fail' } | Select-Object -Last 1)
    $detail = if ($lastError.Count -gt 0) { (Format-Line $lastError[0]).Substring(2) } else { '' }
    Complete-Run 'INSTALL_FAILED' "the installer exited $exitCode without a source server ID: $detail"
} catch {
    $status = if ($Script:Mode -eq 'probe') { 'PROBE_FAILED' } else { 'INSTALL_FAILED' }
    Write-Result $status (Format-Line "the script stopped unexpectedly: $($_.Exception.Message)").Substring(2)
    exit 1
} finally {
    if ($workdir -and (Test-Path -LiteralPath $workdir)) { Remove-Item -LiteralPath $workdir -Recurse -Force }
}
