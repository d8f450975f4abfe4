-- Times out reservations and forgets records whose time has come.
expire()
return 'OK'
