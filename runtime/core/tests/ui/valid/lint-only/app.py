print('lint me')
